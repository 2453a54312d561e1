import { type Language, message, renderMessage } from '../message-catalog.js';
import type { PlatformAccount } from '../providers/email-provider.js';

/** What the platform's own SES account lacks, for the card and the domain list. */
export type PlatformWarningCode = 'ses_account_sandbox' | 'ses_account_sending_paused';

/** A warning about the platform's provider account (not the tenant's doing), in the request's language. */
export interface PlatformWarning {
  code: PlatformWarningCode;
  region: string;
  detail: string;
}

/**
 * Warnings about the platform's Amazon SES account in these regions (`GetAccount`), shown on the
 * card and the domain list instead of hidden: an account still in the SES sandbox (mail reaches
 * verified addresses only, at most 200 a day), or one whose sending SES paused. A failed look-up
 * adds no warning (the answer must not fail for it); `onError` hears of it.
 */
export async function platformWarnings(
  account: PlatformAccount | undefined,
  regions: readonly string[],
  language: Language,
  onError?: (error: unknown) => void,
): Promise<PlatformWarning[]> {
  if (!account) return [];
  const warnings: PlatformWarning[] = [];
  for (const region of new Set(regions)) {
    try {
      const status = await account.status(region);
      if (!status.productionAccess) {
        warnings.push({
          code: 'ses_account_sandbox',
          region,
          detail: renderMessage(message('ses_account_sandbox', { region }), language),
        });
      }
      if (!status.sendingEnabled) {
        warnings.push({
          code: 'ses_account_sending_paused',
          region,
          detail: renderMessage(message('ses_account_sending_paused', { region }), language),
        });
      }
    } catch (error) {
      onError?.(error);
    }
  }
  return warnings;
}
