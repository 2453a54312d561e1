import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { describeError } from '../observability/logger.js';
import { OUTCOME_EVENT_METRICS } from '../observability/metric-names.js';
import type { MetricsSink } from '../sending/send-metrics.js';
import {
  type IntegrationStatusChange,
  type IntegrationStatusEvents,
  integrationStatusChanged,
  integrationStatusReason,
  type OutcomeEvent,
} from './outcome-events.js';
import type { OutcomePublisher } from './outcome-publisher.js';

/** What {@link OutcomeAnnouncer} needs. */
export interface OutcomeAnnouncerDeps {
  publisher: OutcomePublisher;
  logger: Logger;
  /** Counts events given up on (`OutcomeEventsUnpublished`, alarmed); flushed at once when it can publish. */
  metrics: MetricsSink & { publishStoredMetrics?(): void };
  now: () => Date;
}

/**
 * Announces changes whose record is already the truth and whose request must not fail when the
 * bus does: a card's status. The publisher retries (bounded); an event still unpublished is
 * logged at ERROR (tenant, detail type, event id; no content) and counted, and the card (GET)
 * keeps the truth. At most once after those retries, unlike the send outcomes (see docs/events.md).
 */
export class OutcomeAnnouncer implements IntegrationStatusEvents {
  constructor(private readonly deps: OutcomeAnnouncerDeps) {}

  async changed(change: IntegrationStatusChange): Promise<void> {
    await this.announce(
      integrationStatusChanged({
        ...change,
        reason: integrationStatusReason(change.cause, change.status),
        occurredAt: this.deps.now().toISOString(),
      }),
    );
  }

  /** Publishes one event; true when it was published. */
  async announce(event: OutcomeEvent): Promise<boolean> {
    try {
      await this.deps.publisher.publish([event]);
      return true;
    } catch (error) {
      this.deps.logger.error('outcome event not published', {
        tenantId: event.detail.tenantId,
        detailType: event.detailType,
        eventId: event.detail.eventId,
        error: describeError(error),
      });
      this.deps.metrics.addMetric(OUTCOME_EVENT_METRICS.unpublished, MetricUnit.Count, 1);
      this.deps.metrics.publishStoredMetrics?.();
      return false;
    }
  }
}
