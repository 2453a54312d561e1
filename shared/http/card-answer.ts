import type { IntegrationCard } from '../integrations/integration-record.js';
import { cardETag } from '../integrations/integration-use-cases.js';
import { type Language, statusText } from '../message-catalog.js';
import type { PlatformWarning } from '../ses-domains/platform-warnings.js';
import type { RouteResult } from './api-route.js';

/** The card as the routes answer it: the stored fields plus its status in words. */
export interface CardAnswerBody extends IntegrationCard {
  /** The status for a person, in the request's language (e.g. "Mail is not being sent: rotate the key"). */
  statusLabel: string;
  /** What to do about a broken status, in the request's language; null while it works. */
  statusNextStep: string | null;
  /** Warnings about the platform's provider account (e.g. SES still in its sandbox), only when there are any. */
  platformWarnings?: PlatformWarning[];
}

/** A route's answer carrying the card: its status in the request's language, and its ETag. */
export function cardAnswer(
  tenantId: string,
  card: IntegrationCard,
  language: Language,
  status = 200,
  platformWarnings: PlatformWarning[] = [],
): RouteResult {
  const words = statusText(card.status, language, { domains: card.failedDomains ?? [] });
  const body: CardAnswerBody = {
    ...card,
    statusLabel: words.label,
    statusNextStep: words.nextStep,
    ...(platformWarnings.length > 0 ? { platformWarnings } : {}),
  };
  return { status, body, headers: { etag: cardETag(tenantId, card) } };
}
