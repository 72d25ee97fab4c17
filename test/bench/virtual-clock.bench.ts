/**
 * The virtual clock's timer queue under the load of a bench with many phones: hundreds of long timers
 * waiting (two-minute phone timeouts, one-hour authentication expiries), while each request arms a
 * timeout, runs a short timer and clears the timeout again. Reported as microseconds per such cycle at
 * 10, 300 and 1000 waiting timers; no target (the queue should not grow slower with the timers waiting).
 */
import { afterAll, bench, describe, expect } from 'vitest';
import { VirtualClock } from '../../firmware-sim/clock.js';
import { report } from './report.js';

const CYCLES = 20_000;
const WAITING = [10, 300, 1000];
const results = new Map<number, number>();

function cycles(waiting: number): number {
  const clock = new VirtualClock();
  for (let i = 0; i < waiting; i++) clock.setTimeout(() => {}, 120_000 + i);
  let fired = 0;
  const t0 = performance.now();
  for (let i = 0; i < CYCLES; i++) {
    const timeout = clock.setTimeout(() => {}, 120_000);
    clock.setTimeout(() => fired++, 1);
    clock.advance(1);
    clock.clearTimeout(timeout);
  }
  const us = ((performance.now() - t0) * 1000) / CYCLES;
  // Every short timer ran, and only the long ones still wait.
  expect(fired).toBe(CYCLES);
  expect(clock.pending).toBe(waiting);
  return us;
}

afterAll(() => {
  report(
    `virtual clock: arm a timeout, run a 1 ms timer, clear the timeout (${CYCLES} cycles)`,
    WAITING.map((w) => ({
      figure: `${w} timers waiting`,
      value: `${results.get(w)!.toFixed(2)} µs`,
      target: '-',
      met: true,
    })),
  );
});

describe('virtual clock timers', () => {
  for (const w of WAITING) {
    bench(
      `${w} timers waiting`,
      () => {
        cycles(w); // warm-up
        results.set(w, cycles(w));
      },
      { iterations: 1, warmupIterations: 0, warmupTime: 0, time: 0 },
    );
  }
});
