import { describe, expect, it } from 'vitest';
import { actOnAppliedFeedback } from '../../shared/outcome-events/feedback-consequences.js';
import type { OutcomeEvent } from '../../shared/outcome-events/outcome-events.js';

const at = '2026-11-26T03:00:00.000Z';

/** Records suppressions and events. */
function recording() {
  const suppressed: unknown[][] = [];
  const events: OutcomeEvent[] = [];
  return {
    suppressed,
    events,
    deps: {
      suppress: async (...args: unknown[]) => {
        suppressed.push(args);
        return true;
      },
      outcomes: {
        publish: async (published: readonly OutcomeEvent[]) => {
          events.push(...published);
        },
      },
      now: () => new Date(at),
    },
  };
}

describe('actOnAppliedFeedback', () => {
  it('suppresses a hard-bounced and a complaining recipient for the message’s tenant only, not a soft bounce', async () => {
    const { deps, suppressed } = recording();
    await actOnAppliedFeedback(
      {
        tenantId: 'tenant-b',
        messageId: 'm-1',
        status: { from: 'accepted', to: 'bounced' },
        recipientChanges: [
          { recipient: 'bounce@x.example', to: 'bounced', bounceType: 'hard', reason: 'no such user', at },
          { recipient: 'soft@x.example', to: 'bounced', bounceType: 'soft', reason: 'mailbox full', at },
          { recipient: 'spam@x.example', to: 'complained', bounceType: null, reason: null, at },
          { recipient: 'ok@x.example', to: 'delivered', bounceType: null, reason: null, at },
        ],
      },
      deps,
    );
    expect(suppressed).toEqual([
      ['tenant-b', 'bounce@x.example', 'hard_bounce', 'm-1'],
      ['tenant-b', 'spam@x.example', 'complaint', 'm-1'],
    ]);
  });

  it('announces the message’s new status with the reason, addresses removed', async () => {
    const { deps, events } = recording();
    await actOnAppliedFeedback(
      {
        tenantId: 'tenant-a',
        messageId: 'm-2',
        status: { from: 'accepted', to: 'bounced' },
        recipientChanges: [
          {
            recipient: 'bounce@x.example',
            to: 'bounced',
            bounceType: 'hard',
            reason: '550 5.1.1 <bounce@x.example>: user unknown',
            at,
          },
        ],
      },
      deps,
    );
    expect(events).toEqual([
      {
        detailType: 'Email Delivery Updated',
        detail: expect.objectContaining({
          tenantId: 'tenant-a',
          messageId: 'm-2',
          status: 'bounced',
          reason: '550 5.1.1 <[address]>: user unknown',
          occurredAt: at,
        }),
      },
    ]);
  });

  it('announces nothing when the status stayed', async () => {
    const { deps, events, suppressed } = recording();
    await actOnAppliedFeedback({ tenantId: 'tenant-a', messageId: 'm-3', status: null, recipientChanges: [] }, deps);
    expect(events).toEqual([]);
    expect(suppressed).toEqual([]);
  });
});
