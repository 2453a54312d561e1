import { describe, expect, it } from 'vitest';
import { mapBounded, Slots } from '../../shared/map-bounded.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('Slots', () => {
  it('lets at most its limit of calls run at once, the others in the order they came', async () => {
    const slots = new Slots(2);
    let running = 0;
    let most = 0;
    const order: number[] = [];
    await Promise.all(
      [0, 1, 2, 3, 4].map((index) =>
        slots.run(async () => {
          running += 1;
          most = Math.max(most, running);
          order.push(index);
          await tick();
          running -= 1;
        }),
      ),
    );
    expect(most).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });

  it('gives the slot back when a call fails', async () => {
    const slots = new Slots(1);
    await expect(slots.run(async () => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    expect(await slots.run(async () => 'next')).toBe('next');
  });
});

describe('mapBounded', () => {
  it('keeps the input order with a bound on calls in flight', async () => {
    let running = 0;
    let most = 0;
    const results = await mapBounded([3, 1, 2], 2, async (value) => {
      running += 1;
      most = Math.max(most, running);
      await tick();
      running -= 1;
      return value * 10;
    });
    expect(results).toEqual([30, 10, 20]);
    expect(most).toBe(2);
  });
});
