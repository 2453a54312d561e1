import { describe, expect, it } from 'vitest';
import { MESSAGE_STATUSES, mayReplace, STATUS_ORDER, statusRank } from '../../shared/sending/message-status.js';

describe('STATUS_ORDER', () => {
  it('ranks every status exactly once (bounces by kind)', () => {
    const ranked = STATUS_ORDER.flat();
    expect(new Set(ranked).size).toBe(ranked.length);
    for (const status of MESSAGE_STATUSES) {
      const names = status === 'bounced' ? ['bounced:soft', 'bounced:hard'] : [status];
      for (const name of names) expect(ranked).toContain(name);
    }
  });

  it('never lets a late deferred overwrite delivered, nor a soft bounce a hard one', () => {
    expect(mayReplace({ status: 'delivered' }, { status: 'deferred' })).toBe(false);
    expect(mayReplace({ status: 'deferred' }, { status: 'delivered' })).toBe(true);
    expect(mayReplace({ status: 'bounced', bounceType: 'hard' }, { status: 'bounced', bounceType: 'soft' })).toBe(
      false,
    );
    expect(mayReplace({ status: 'bounced', bounceType: 'soft' }, { status: 'bounced', bounceType: 'hard' })).toBe(true);
  });

  it('lets an asynchronous bounce or a complaint follow delivered', () => {
    expect(mayReplace({ status: 'delivered' }, { status: 'bounced', bounceType: 'hard' })).toBe(true);
    expect(mayReplace({ status: 'delivered' }, { status: 'complained' })).toBe(true);
  });

  it('lets the provider settle a cut-off send, but moves nothing the provider never took', () => {
    expect(mayReplace({ status: 'delivery_unknown' }, { status: 'delivered' })).toBe(true);
    for (const final of ['failed', 'suppressed'] as const) {
      for (const next of MESSAGE_STATUSES) expect(mayReplace({ status: final }, { status: next })).toBe(false);
    }
  });

  it('counts a bounce of unknown kind as soft', () => {
    expect(statusRank('bounced')).toBe(statusRank('bounced', 'soft'));
  });
});
