/**
 * Every seed-001 scenario of fixtures/scenarios (FLOWS.md seed 001: the happy paths and each failure
 * branch) runs on its bench through the real services, phone, POS and issuers, and every step holds.
 * The folder is listed, so a new `seed001-*.yaml` is picked up without touching this file.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadScenario, runScenario, type Scenario, type StepResult } from '../../host/bench/scenario.js';
import { hasTshark } from '../oracles.js';

const folder = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/scenarios');
const files = readdirSync(folder)
  .filter((f) => /^seed001-.*\.yaml$/.test(f))
  .sort();

/** Steps that read captures with tshark (the Debian package tshark). */
const TSHARK_STEPS = new Set(['expect-iso8583-capture', 'expect-capture']);

const line = (s: StepResult): string => `[${s.index + 1}] ${s.ok ? 'ok  ' : 'FAIL'} ${s.kind}: ${s.detail}`;

describe('seed 001 scenarios (fixtures/scenarios/seed001-*.yaml)', () => {
  it('finds the scenarios in the folder', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  for (const file of files) {
    let scenario: Scenario;
    try {
      scenario = loadScenario(path.join(folder, file));
    } catch (err) {
      // A mistake in one file fails that file's test, with the loader's words, not the whole run.
      it(`${file}: loads`, () => {
        throw err;
      });
      continue;
    }
    const needsTshark = scenario.steps.some((s) => TSHARK_STEPS.has(Object.keys(s)[0]!));
    const skip = needsTshark && !hasTshark;
    // The virtual clock makes each run take seconds; the margin is for a loaded two-core machine.
    it.skipIf(skip)(
      `${file}: every step holds${skip ? ' (needs tshark)' : ''}`,
      { timeout: 180_000 },
      async () => {
        const result = await runScenario(scenario);
        const report = result.steps.map(line).join('\n');
        const failed = result.steps.find((s) => !s.ok);
        expect(
          failed,
          failed ? `step ${failed.index + 1} (${failed.kind}) failed:\n${report}` : undefined,
        ).toBeUndefined();
        expect(result.steps.length, `stopped after ${result.steps.length} steps:\n${report}`).toBe(
          scenario.steps.length,
        );
        expect(result.passed).toBe(true);
      },
    );
  }
});
