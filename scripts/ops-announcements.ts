import type { Logger } from '@aws-lambda-powertools/logger';
import { createLogger } from '../shared/observability/logger.js';
import { OutcomeAnnouncer } from '../shared/outcome-events/outcome-announcer.js';
import type { IntegrationStatusChange, IntegrationStatusEvents } from '../shared/outcome-events/outcome-events.js';
import { EventBridgeOutcomePublisher, type OutcomePublisher } from '../shared/outcome-events/outcome-publisher.js';

/** How an operator run's card changes fared on the service bus. */
export interface AnnouncementCounts {
  /** Status changes published as `Email Integration Status Changed`. */
  announced: number;
  /** Status changes written to the card but not published (bus unreachable or refusing, or no bus named). */
  failed: number;
}

/**
 * Announces the card status changes an operator command writes (`verify`, `migrate`), as the
 * service's own writers do, and counts them for the run's summary. The card is written first and
 * stays the truth: an announcement the bus does not take is logged at ERROR on stderr (tenant,
 * event id) by the same announcer the functions use and counted, and the run goes on. Without a
 * bus (local data, or a deployed table named without `--bus`) every change is counted as not announced.
 */
export class OpsAnnouncements implements IntegrationStatusEvents {
  readonly counts: AnnouncementCounts = { announced: 0, failed: 0 };
  private readonly announcer: OutcomeAnnouncer | undefined;

  constructor(
    /** The service bus's name; undefined when the run has none to announce on. */
    readonly busName: string | undefined,
    options: { publisher?: OutcomePublisher; logger?: Logger; now?: () => Date } = {},
  ) {
    const publisher = options.publisher ?? (busName ? new EventBridgeOutcomePublisher({ busName }) : undefined);
    if (!publisher) return;
    const counts = this.counts;
    this.announcer = new OutcomeAnnouncer({
      publisher: {
        async publish(events) {
          try {
            await publisher.publish(events);
            counts.announced += events.length;
          } catch (error) {
            counts.failed += events.length;
            throw error;
          }
        },
      },
      logger: options.logger ?? createLogger(),
      // The run's own summary reports what failed; an operator's terminal is no metrics pipeline.
      metrics: { addMetric: () => undefined },
      now: options.now ?? (() => new Date()),
    });
  }

  async changed(change: IntegrationStatusChange): Promise<void> {
    if (!this.announcer) {
      this.counts.failed += 1;
      return;
    }
    await this.announcer.changed(change);
  }

  /** What the run tells the operator about its announcements; undefined when no card's status changed. */
  summary(): string | undefined {
    const { announced, failed } = this.counts;
    if (announced + failed === 0) return undefined;
    const published = `${announced} status change(s) announced as Email Integration Status Changed`;
    if (failed === 0) return `${published} on ${this.busName}.`;
    const why = this.busName
      ? `the bus ${this.busName} could not be reached or refused them (errors above, with each tenant and eventId)`
      : 'no service bus was named (--stack, or --bus <name>)';
    return `${published}; ${failed} NOT announced: ${why}. The cards are changed all the same (the card is the truth); the automations were not told.`;
  }
}
