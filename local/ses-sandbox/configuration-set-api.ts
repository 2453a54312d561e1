import { compact, epochSeconds, type OperationHandler, page } from './operation-context.js';
import { SesError } from './ses-errors.js';
import {
  type RegionState,
  resourceArn,
  type StoredConfigurationSet,
  type StoredEventDestination,
} from './ses-state.js';
import { tenantsOf } from './tenant-api.js';

/** Configuration set and event destination names: letters, digits, `_` and `-`, up to 64 (SES's rule). */
const RESOURCE_NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** SES's quota of event destinations per configuration set. */
const MAX_EVENT_DESTINATIONS = 10;
const DESTINATION_KINDS = [
  'KinesisFirehoseDestination',
  'CloudWatchDestination',
  'SnsDestination',
  'EventBridgeDestination',
  'PinpointDestination',
] as const;

/** The configuration set with this name; NotFoundException otherwise. */
export function requireConfigurationSet(region: RegionState, name: string): StoredConfigurationSet {
  const set = region.configurationSets[name];
  if (!set) throw new SesError('NotFoundException', `Configuration set ${name} does not exist.`);
  return set;
}

/** Configuration sets and their event destinations; email templates. */
export const CONFIGURATION_SET_OPERATIONS: Record<string, OperationHandler> = {
  CreateConfigurationSet: (context) => {
    const { ConfigurationSetName, ...options } = context.input;
    const name = ConfigurationSetName as string;
    if (!RESOURCE_NAME.test(name)) {
      throw new SesError(
        'BadRequestException',
        'The configuration set name can contain up to 64 characters: letters, numbers, underscores (_) and dashes (-).',
      );
    }
    if (context.region.configurationSets[name]) {
      throw new SesError('AlreadyExistsException', `Configuration set ${name} already exists.`);
    }
    context.region.configurationSets[name] = {
      name,
      createdAt: context.now.toISOString(),
      options,
      eventDestinations: [],
    };
    return {};
  },

  GetConfigurationSet: (context) => {
    const set = requireConfigurationSet(context.region, context.input.ConfigurationSetName as string);
    return { ConfigurationSetName: set.name, ...set.options };
  },

  ListConfigurationSets: (context) => {
    const names = Object.values(context.region.configurationSets)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
      .map((set) => set.name);
    const { items, nextToken } = page(names, context.input);
    return compact({ ConfigurationSets: items, NextToken: nextToken });
  },

  DeleteConfigurationSet: (context) => {
    const set = requireConfigurationSet(context.region, context.input.ConfigurationSetName as string);
    const tenants = tenantsOf(
      context.region,
      resourceArn(context.regionName, context.state.accountId, 'configuration-set', set.name),
    );
    if (tenants.length > 0) {
      throw new SesError(
        'BadRequestException',
        `Configuration set ${set.name} is associated with tenants (${tenants.join(', ')}); remove the associations first.`,
      );
    }
    delete context.region.configurationSets[set.name];
    return {};
  },

  CreateConfigurationSetEventDestination: (context) => {
    const { input, region } = context;
    const set = requireConfigurationSet(region, input.ConfigurationSetName as string);
    const name = input.EventDestinationName as string;
    const destination = input.EventDestination as Record<string, unknown>;
    if (!RESOURCE_NAME.test(name)) {
      throw new SesError(
        'BadRequestException',
        'The event destination name can contain up to 64 letters, numbers, _ and -.',
      );
    }
    if (set.eventDestinations.some((entry) => entry.Name === name)) {
      throw new SesError('AlreadyExistsException', `Event destination ${name} already exists.`);
    }
    if (set.eventDestinations.length >= MAX_EVENT_DESTINATIONS) {
      throw new SesError('LimitExceededException', 'Maximum number of event destinations reached.');
    }
    const kinds = DESTINATION_KINDS.filter((kind) => destination[kind] !== undefined);
    if (kinds.length !== 1) {
      throw new SesError('BadRequestException', 'An event destination needs exactly one destination.');
    }
    const types = (destination.MatchingEventTypes as string[] | undefined) ?? [];
    if (types.length === 0)
      throw new SesError('BadRequestException', 'MatchingEventTypes must name at least one event type.');
    const bridge = destination.EventBridgeDestination as { EventBusArn: string } | undefined;
    // Only the default bus is supported (FACTS.md 3.1).
    const defaultBus = `arn:aws:events:${context.regionName}:${context.state.accountId}:event-bus/default`;
    if (bridge && bridge.EventBusArn !== defaultBus) {
      throw new SesError('BadRequestException', `Only the default event bus is supported: ${defaultBus}.`);
    }
    const stored: StoredEventDestination = {
      ...destination,
      Name: name,
      Enabled: destination.Enabled === true,
      MatchingEventTypes: types,
    };
    set.eventDestinations.push(stored);
    return {};
  },

  GetConfigurationSetEventDestinations: (context) => {
    const set = requireConfigurationSet(context.region, context.input.ConfigurationSetName as string);
    return { EventDestinations: set.eventDestinations };
  },

  CreateEmailTemplate: (context) => {
    const name = context.input.TemplateName as string;
    const content = context.input.TemplateContent as { Subject?: string; Text?: string; Html?: string };
    if (context.region.templates[name])
      throw new SesError('AlreadyExistsException', `Template ${name} already exists.`);
    context.region.templates[name] = {
      name,
      createdAt: context.now.toISOString(),
      ...(content.Subject === undefined ? {} : { subject: content.Subject }),
      ...(content.Text === undefined ? {} : { text: content.Text }),
      ...(content.Html === undefined ? {} : { html: content.Html }),
    };
    return {};
  },

  GetEmailTemplate: (context) => {
    const name = context.input.TemplateName as string;
    const template = context.region.templates[name];
    if (!template) throw new SesError('NotFoundException', `Template ${name} does not exist.`);
    return {
      TemplateName: name,
      TemplateContent: compact({ Subject: template.subject, Text: template.text, Html: template.html }),
      CreatedTimestamp: epochSeconds(template.createdAt),
    };
  },
};
