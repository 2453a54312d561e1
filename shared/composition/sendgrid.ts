import { SendGridApi } from '../providers/sendgrid/sendgrid-api.js';
import { SendGridProvider } from '../providers/sendgrid/sendgrid-provider.js';
import { type SendGridSettings, sendGridSettings } from './environment.js';

/** SendGrid's API at the configured hosts, with the configured timeout per call. */
export function sendGridApi(settings: SendGridSettings = sendGridSettings()): SendGridApi {
  return new SendGridApi({ baseUrls: settings.baseUrls, timeoutMs: settings.timeoutMs });
}

/** SendGrid for verifying keys and reading sender domains. */
export function sendGridProvider(settings: SendGridSettings = sendGridSettings()): SendGridProvider {
  return new SendGridProvider({ api: sendGridApi(settings) });
}
