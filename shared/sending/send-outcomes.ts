/**
 * Every code a send can end with, like PROBLEM_CATALOG for the API: whether the queue delivers
 * the message again (`retry`) or the send is given up for good (`permanent`, written to the
 * ledger as `failed`), the metric it counts under, and what an operator does about it.
 * The ledger's `failureCode`, the consumer's outcomes and the stack's alarms all use this table.
 */
export const SEND_OUTCOMES = {
  invalid_event: {
    disposition: 'permanent',
    metric: 'EmailsInvalidEvent',
    hint: 'The publisher sent an event that does not match the "Email Send Requested" schema; fix the publisher.',
  },
  untrusted_event: {
    disposition: 'permanent',
    metric: 'EmailsUntrustedEvent',
    hint: 'An event from an unexpected source or account reached the send queue; find who published it.',
  },
  no_integration: {
    disposition: 'permanent',
    metric: 'EmailsNoIntegration',
    hint: 'The tenant has no email integration; it must connect SendGrid (or be migrated) first.',
  },
  sender_not_registered: {
    disposition: 'permanent',
    metric: 'EmailsSenderNotRegistered',
    hint: 'The event asked for a sender the tenant has not registered; register it or fix the event.',
  },
  key_rejected: {
    disposition: 'permanent',
    metric: 'EmailsKeyRejected',
    hint: 'The provider refused the tenant’s key; the tenant must rotate in a new one.',
  },
  integration_unreadable: {
    disposition: 'permanent',
    metric: 'EmailsIntegrationUnreadable',
    hint: 'The stored key cannot be decrypted; the tenant saves the integration again.',
  },
  sender_rejected: {
    disposition: 'permanent',
    metric: 'EmailsSenderRejected',
    hint: 'The provider refused the from address; check the domain’s sender authentication.',
  },
  sender_domain_failed: {
    disposition: 'permanent',
    metric: 'EmailsSenderDomainFailed',
    hint: 'The sender is at an Amazon SES domain that failed verification after it had verified; the tenant publishes its DNS records again (the card says which domain).',
  },
  sending_paused: {
    disposition: 'permanent',
    metric: 'EmailsSendingPaused',
    hint: 'Amazon SES paused the tenant’s SES tenant (card `paused`); nothing is sent until SES enables it again (reputation findings resolved, or an operator re-enables it). Republish what must still go out once the card is active.',
  },
  message_rejected: {
    disposition: 'permanent',
    metric: 'EmailsMessageRejected',
    hint: 'The provider refused the message itself (400/413); the failure detail names the field.',
  },
  delivery_unknown: {
    disposition: 'permanent',
    metric: 'EmailsDeliveryUnknown',
    hint: 'The mail may or may not have gone out; look it up in the provider’s activity by custom arg messageId and republish with a new messageId if it never left.',
  },
  in_flight: {
    disposition: 'retry',
    metric: 'EmailsInFlight',
    hint: 'Another delivery of the same message holds the claim; this one comes back after its lease.',
  },
  throttled: {
    disposition: 'retry',
    metric: 'EmailsThrottled',
    hint: 'The provider rate-limited the tenant; delivered again after its reset time.',
  },
  transient: {
    disposition: 'retry',
    metric: 'EmailsTransient',
    hint: 'The provider certainly did not take the message (503, no connection); delivered again with backoff.',
  },
  upstream_unavailable: {
    disposition: 'retry',
    metric: 'EmailsUpstreamUnavailable',
    hint: 'DynamoDB or KMS failed before the send; delivered again with backoff.',
  },
  outcome_unpublished: {
    disposition: 'retry',
    metric: 'OutcomeEventsUnpublished',
    hint: 'The send is settled in the ledger but its outcome event could not be published on the service bus; the request comes back and its next delivery announces it. Check EventBridge (PutEvents errors, the bus policy).',
  },
  tenant_capped: {
    disposition: 'retry',
    metric: 'EmailsTenantCapped',
    hint: 'An operator’s cap on the tenant (sends in flight or per day, `npm run ops -- tenant-limits`) holds the message back; it is queued again without spending a delivery and sent once the cap allows.',
  },
  internal_error: {
    disposition: 'retry',
    metric: 'EmailsInternalError',
    hint: 'The send attempt failed unexpectedly; see the function’s logs. Delivered again with backoff.',
  },
} as const satisfies Record<string, { disposition: 'permanent' | 'retry'; metric: string; hint: string }>;

/** A code a send can end with. */
export type SendOutcomeCode = keyof typeof SEND_OUTCOMES;

/** Codes after which the send is given up (ledger `failed`). */
export type PermanentSendCode = {
  [Code in SendOutcomeCode]: (typeof SEND_OUTCOMES)[Code]['disposition'] extends 'permanent' ? Code : never;
}[SendOutcomeCode];

/** Codes after which the queue delivers the message again. */
export type RetrySendCode = Exclude<SendOutcomeCode, PermanentSendCode>;

/** Whether a string is one of the table's codes. */
export function isSendOutcomeCode(value: string): value is SendOutcomeCode {
  return Object.hasOwn(SEND_OUTCOMES, value);
}

/** The metric every outcome kind counts under (namespace EmailIntegrations), besides its code's own. */
export const SEND_OUTCOME_KIND_METRICS = {
  sent: 'EmailsSent',
  duplicate: 'EmailsDuplicate',
  suppressed: 'EmailsSuppressed',
  retry: 'EmailsRetried',
  failed: 'EmailsFailed',
} as const;
