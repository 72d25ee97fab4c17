/**
 * runScenario's hooks for fault runs: beforeStep sees every index with the bench running, afterSteps runs
 * before the bench closes, and tolerant mode records a failing step and goes on with its wait cut short.
 * The bench is a real emulated HID POS scanner on the virtual clock.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseScenario, runScenario } from '../../../host/bench/scenario.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'benchtwin-hooks-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const text = (name: string): string =>
  [
    `name: ${name}`,
    'bench: { clock: virtual, roles: { scanner: emu:scanner/honeywell-1900?mode=hid-pos } }',
    'drivers: { pos: { scanner: { role: scanner, commandSet: hid-pos } } }',
    'steps:',
    "  - scan: { role: scanner, symbology: code128, text: 'ABC-123' }",
    "  - expect-data: { driver: pos, label: 'ABC-124' }",
    '  - expect-data: { driver: pos, timeoutMs: 60000 }',
    '  - wait: { ms: 1 }',
  ].join('\n');

describe('runScenario hooks (fault runs)', () => {
  it('without tolerance the first failing step ends the run; the hooks still run around it', async () => {
    const seen: number[] = [];
    let after = -1;
    const r = await runScenario(parseScenario(text('hooks-strict'), path.join(tmp, 'a.yaml')), {
      beforeStep: async (i, ctx) => {
        expect(ctx.bench.devices.has('scanner')).toBe(true);
        seen.push(i);
      },
      afterSteps: async (ctx) => {
        after = ctx.steps.length;
      },
    });
    expect(seen).toEqual([0, 1]);
    expect(after).toBe(2);
    expect(r.passed).toBe(false);
    expect(r.steps.map((s) => s.ok)).toEqual([true, false]);
  });

  it('tolerant from step 1: the failing steps are recorded, the run goes on, waits are cut to timeoutMs', async () => {
    const seen: number[] = [];
    const r = await runScenario(parseScenario(text('hooks-tolerant'), path.join(tmp, 'b.yaml')), {
      tolerant: { from: 1, timeoutMs: 200 },
      beforeStep: async (i) => {
        seen.push(i);
      },
    });
    expect(seen).toEqual([0, 1, 2, 3]);
    expect(r.steps.map((s) => s.ok)).toEqual([true, false, false, true]);
    expect(r.steps[2]!.detail).toBe('no DataEvent within 200 ms');
    expect(r.passed).toBe(false);
  });
});
