import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  VirtualClock,
  holdClock,
  SystemClock,
  whileHeld,
  type TimerHandle,
} from '../../firmware-sim/clock.js';

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

/** The plain reference: live timers in a list, the earliest found by a scan. */
class ListClock {
  private time = 0;
  private seq = 0;
  private nextId = 1;
  private timers: { id: number; due: number; seq: number; fn: () => void }[] = [];
  now(): number {
    return this.time;
  }
  get pending(): number {
    return this.timers.length;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    this.timers.push({ id, due: this.time + Math.max(0, ms), seq: this.seq++, fn });
    return { id };
  }
  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle) this.timers = this.timers.filter((t) => t.id !== handle.id);
  }
  private earliest() {
    return this.timers.reduce<(typeof this.timers)[number] | undefined>(
      (best, t) => (!best || t.due < best.due || (t.due === best.due && t.seq < best.seq) ? t : best),
      undefined,
    );
  }
  advance(ms: number): void {
    const target = this.time + Math.max(0, ms);
    for (;;) {
      const next = this.earliest();
      if (!next || next.due > target) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.time = next.due;
      next.fn();
    }
    this.time = target;
  }
  runNext(): boolean {
    const next = this.earliest();
    if (!next) return false;
    this.advance(next.due - this.time);
    return true;
  }
}

describe('VirtualClock timer order (property, against a plain list)', () => {
  type Op =
    | { kind: 'set'; ms: number; then: 'nothing' | 'set' | 'clear'; arg: number }
    | { kind: 'clear'; pick: number }
    | { kind: 'advance'; ms: number }
    | { kind: 'runNext' };
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({
      kind: fc.constant('set' as const),
      ms: fc.integer({ min: 0, max: 60 }),
      then: fc.constantFrom('nothing' as const, 'set' as const, 'clear' as const),
      arg: fc.nat({ max: 1000 }),
    }),
    fc.record({ kind: fc.constant('clear' as const), pick: fc.nat() }),
    fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 40 }) }),
    fc.constant({ kind: 'runNext' as const }),
  );

  /** Runs `ops` on `clock` and returns what fired, when, and what was left. */
  function run(clock: VirtualClock | ListClock, ops: Op[]): string[] {
    const log: string[] = [];
    const handles: TimerHandle[] = [];
    const set = (ms: number, then: 'nothing' | 'set' | 'clear', arg: number): void => {
      const n = handles.length;
      handles.push(
        clock.setTimeout(() => {
          log.push(`${n}@${clock.now()}`);
          // A callback that sets or clears timers, as a retry or a watchdog does.
          if (then === 'set') set(arg % 30, 'nothing', 0);
          if (then === 'clear' && handles.length > 0) clock.clearTimeout(handles[arg % handles.length]);
        }, ms),
      );
    };
    for (const o of ops) {
      if (o.kind === 'set') set(o.ms, o.then, o.arg);
      else if (o.kind === 'clear')
        clock.clearTimeout(handles.length ? handles[o.pick % handles.length] : undefined);
      else if (o.kind === 'advance') clock.advance(o.ms);
      else log.push(`next:${clock.runNext()}`);
      log.push(`now=${clock.now()} pending=${clock.pending}`);
    }
    while (clock.runNext()) log.push(`drain now=${clock.now()}`);
    return log;
  }

  it('fires the timers not cleared in due-then-set order at their due times, like the plain list', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
        expect(run(new VirtualClock(), ops)).toEqual(run(new ListClock(), ops));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps its order when most timers are cleared before they fall due (the heap compacts)', () => {
    const clock = new VirtualClock();
    const fired: number[] = [];
    const kept: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const h = clock.setTimeout(() => fired.push(i), 120_000 - i);
      if (i % 10 === 0) kept.push(i);
      else clock.clearTimeout(h);
    }
    expect(clock.pending).toBe(kept.length);
    clock.advance(120_000);
    expect(fired).toEqual([...kept].reverse());
    expect(clock.pending).toBe(0);
  });
});
