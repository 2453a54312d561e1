/**
 * The names the service's metrics are published under, in one place: the functions publish with
 * them and the stack's alarms watch them, so renaming one here renames both and an alarm cannot
 * silently watch a metric nobody publishes any more. The send path's names live with its outcome
 * table (`SEND_OUTCOMES`, `SEND_OUTCOME_KIND_METRICS` in shared/sending/send-outcomes.ts; the
 * alarmed ones in `SEND_METRICS`), under this namespace.
 */

/** The CloudWatch namespace of every metric the service publishes (Powertools Metrics). */
export const METRIC_NAMESPACE = 'EmailIntegrations';

/** The service name: Powertools adds it as the `service` dimension, and the alarms filter on it. */
export const METRIC_SERVICE_NAME = 'email-integrations';

/** Outcome events given up on (the send path's `outcome_unpublished` retries and card changes alike): alarmed. */
export const OUTCOME_EVENT_METRICS = {
  unpublished: 'OutcomeEventsUnpublished',
} as const;

/** The health check's metrics: one count per outcome, and the outcomes where the check could not tell. */
export const HEALTH_CHECK_METRICS = {
  /** Integrations the check could not verify (provider unreachable, item unreadable): alarmed. */
  failures: 'HealthCheckFailures',
  /** How many integrations ended in `outcome` (counted per checker batch). */
  outcome: (outcome: string) => `HealthCheck_${outcome}`,
  /** Tenants a run planned, published once when the run finishes. */
  runPlanned: 'HealthCheckRunPlanned',
  /** Tenants a run checked, published once when the run finishes. */
  runChecked: 'HealthCheckRunChecked',
  /** A run's total for one outcome, published once when the run finishes. */
  runOutcome: (outcome: string) => `HealthCheckRun_${outcome}`,
  /** Minutes from a run's start to its last check, published once when the run finishes. */
  runMinutes: 'HealthCheckRunMinutes',
} as const;

/** The feedback function's counts (provider events applied to messages), per batch. */
export const FEEDBACK_METRICS = {
  appliedEvents: 'FeedbackEventsApplied',
  duplicateEvents: 'FeedbackEventsDuplicate',
  /** Events for a message the tenant does not have (another tenant's messageId included): counted, not errors. */
  unknownMessageEvents: 'FeedbackEventsUnknownMessage',
  unknownRecipientEvents: 'FeedbackEventsUnknownRecipient',
  statusChanges: 'FeedbackStatusChanges',
  /** Queue messages that were no feedback batch: alarmed. */
  invalidMessages: 'FeedbackInvalidMessages',
  /** Listeners, and runs of a message's pending consequences (suppression, outcome events), that failed after a change was recorded (the latter are retried through the queue): alarmed. */
  listenerFailures: 'FeedbackListenerFailures',
} as const;

/** The SES event function's counts, one per event from the default bus (receive-ses-events). */
export const SES_EVENT_METRICS = {
  /** Email events whose feedback went onto the feedback queue. */
  queued: 'SesEventsQueued',
  /** Email events without our tags (mail sent by something else through the configuration set). */
  notOurs: 'SesEventsNotOurs',
  /** Email events whose SES-named tenant disagrees with their tenant tag: refused, alarmed. */
  tenantMismatch: 'SesEventsTenantMismatch',
  /** Events from `aws.ses` that do not parse as documented: dropped, alarmed. */
  malformed: 'SesEventsMalformed',
  /** SES events we do not act on (opens, clicks, reputation findings). */
  ignored: 'SesEventsIgnored',
  /** Sending status events that paused or resumed a card. */
  statusChanges: 'SesTenantStatusChanges',
  /** Sending status events for an SES tenant that is none of our tenants' (or not in the card's region). */
  unknownTenant: 'SesTenantStatusUnknownTenant',
} as const;
