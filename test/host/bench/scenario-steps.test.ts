/**
 * Scenario steps added for the seed-001 scenarios: advance-clock jumps a virtual bench clock (and refuses a
 * wall clock); expect-state compares with null (nothing there), fails on a value, and may wait (timeoutMs).
 */
import path from 'node:path';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { parseScenario, runScenario } from '../../../host/bench/scenario.js';

const file = path.join(os.tmpdir(), 'benchtwin-scenario-steps.yaml');
const scanner = 'emu:scanner/honeywell-1900?mode=hid-pos';

async function run(clock: 'virtual' | 'wall', steps: string[]) {
  const s = parseScenario(
    [
      'name: steps',
      `bench: { clock: ${clock}, roles: { scanner: ${scanner} } }`,
      'steps:',
      ...steps.map((l) => `  - ${l}`),
    ].join('\n'),
    file,
  );
  return runScenario(s);
}

describe('scenario step advance-clock', () => {
  it('moves a virtual bench clock forward by exactly ms', async () => {
    const r = await run('virtual', ['advance-clock: { ms: 3660000 }']);
    expect(r.passed).toBe(true);
    const m = /virtual clock (\d+) ms → (\d+) ms/.exec(r.steps[0]!.detail);
    expect(m).not.toBeNull();
    expect(Number(m![2]) - Number(m![1])).toBe(3_660_000);
  });

  it('fails on a wall-clock bench, saying why', async () => {
    const r = await run('wall', ['advance-clock: { ms: 1000 }']);
    expect(r.passed).toBe(false);
    expect(r.steps[0]!.detail).toBe('advance-clock needs a bench with clock: virtual');
  });
});

describe('scenario step expect-state with equals: null', () => {
  it('fails when the state holds a value there, naming it', async () => {
    const r = await run('virtual', ['expect-state: { role: scanner, path: profile, equals: null }']);
    expect(r.passed).toBe(false);
    expect(r.steps[0]!.detail).toBe('scanner profile = "honeywell-1900", expected null');
  });

  it('with timeoutMs, still fails on a state that never comes, with the last value seen', async () => {
    const r = await run('virtual', [
      "expect-state: { role: scanner, path: profile, equals: 'other', timeoutMs: 100 }",
    ]);
    expect(r.passed).toBe(false);
    expect(r.steps[0]!.detail).toBe('scanner profile = "honeywell-1900", expected "other"');
  });
});
