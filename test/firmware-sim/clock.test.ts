import { describe, expect, it } from 'vitest';
import { VirtualClock, holdClock, SystemClock, whileHeld } from '../../firmware-sim/clock.js';

const realWait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('VirtualClock hold', () => {
  it('a self-advancing clock does not jump over a timer while work holds it, and jumps once released', async () => {
    const clock = new VirtualClock({ autoAdvance: { quietMs: 2 } });
    let fired = false;
    clock.setTimeout(() => (fired = true), 120_000);
    const release = holdClock(clock);
    expect(clock.held).toBe(1);
    await realWait(40);
    expect(fired).toBe(false);
    expect(clock.now()).toBe(0);
    release();
    release(); // a second call changes nothing
    expect(clock.held).toBe(0);
    for (let i = 0; i < 100 && !fired; i++) await realWait(5);
    expect(fired).toBe(true);
    expect(clock.now()).toBe(120_000);
    clock.dispose();
  });

  it('whileHeld releases when the work fails', async () => {
    const clock = new VirtualClock();
    await expect(
      whileHeld(clock, async () => {
        expect(clock.held).toBe(1);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(clock.held).toBe(0);
  });

  it('a clock without hold gives a release that does nothing', () => {
    const release = holdClock(new SystemClock());
    expect(typeof release).toBe('function');
    expect(release()).toBeUndefined();
  });
});

describe('VirtualClock late wake-ups', () => {
  it('a pump held up by a busy thread does not jump: the blocked time counts as activity', async () => {
    const clock = new VirtualClock({ autoAdvance: { quietMs: 5 } });
    let fired = false;
    clock.setTimeout(() => (fired = true), 120_000);
    // Let the pump arm, then keep the thread busy well past the quiet period (as a long fsync would).
    await new Promise((r) => setImmediate(r));
    const end = performance.now() + 40;
    while (performance.now() < end) {
      /* busy */
    }
    // The first wake-up after the busy stretch must not run the timer…
    await new Promise((r) => setTimeout(r, 0));
    expect(fired).toBe(false);
    // …but once the machine is really quiet the clock still jumps.
    for (let i = 0; i < 200 && !fired; i++) await new Promise((r) => setTimeout(r, 5));
    expect(fired).toBe(true);
    clock.dispose();
  });
});
