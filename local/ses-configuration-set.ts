import {
  AlreadyExistsException,
  CreateConfigurationSetCommand,
  CreateConfigurationSetEventDestinationCommand,
  SESv2Client,
} from '@aws-sdk/client-sesv2';
import { SES_FEEDBACK_EVENT_TYPES } from '../shared/providers/ses/ses-configuration-set-events.js';

/** The configuration set the local runtime creates (the stack creates its own in AWS). */
export const LOCAL_CONFIGURATION_SET = 'email-integrations';

/** The event types the stack's configuration set publishes to EventBridge (the SES event parser's table). */
export const PUBLISHED_EVENT_TYPES = Object.keys(SES_FEEDBACK_EVENT_TYPES) as Array<
  keyof typeof SES_FEEDBACK_EVENT_TYPES
>;

/**
 * Creates the configuration set, with an EventBridge destination on the default bus, in each
 * region of the SES at `endpoint`, as the stack does in AWS; what already exists is kept.
 */
export async function ensureConfigurationSet(options: {
  endpoint: string;
  accountId: string;
  name: string;
  regions: readonly string[];
}): Promise<void> {
  for (const region of options.regions) {
    const client = new SESv2Client({
      region,
      endpoint: options.endpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    try {
      await ignoreAlreadyExists(client.send(new CreateConfigurationSetCommand({ ConfigurationSetName: options.name })));
      await ignoreAlreadyExists(
        client.send(
          new CreateConfigurationSetEventDestinationCommand({
            ConfigurationSetName: options.name,
            EventDestinationName: 'eventbridge',
            EventDestination: {
              Enabled: true,
              MatchingEventTypes: [...PUBLISHED_EVENT_TYPES],
              EventBridgeDestination: {
                EventBusArn: `arn:aws:events:${region}:${options.accountId}:event-bus/default`,
              },
            },
          }),
        ),
      );
    } finally {
      client.destroy();
    }
  }
}

async function ignoreAlreadyExists(call: Promise<unknown>): Promise<void> {
  try {
    await call;
  } catch (error) {
    if (!(error instanceof AlreadyExistsException)) throw error;
  }
}
