/**
 * Seed 001 fault runs (host/bench/fault-runs.ts), embodiment 1 through the mobile terminal and embodiment 2
 * with a typed user id (a minimal scenario of this test's own, fixtures/seed001-e2-minimal.yaml), on the
 * virtual clock with every part real: the gateway killed and restarted, the issuers' credit servers killed and
 * restarted, the phone out of Bluetooth range and back, its mobile data cut and restored — each before a
 * step of the happy-path scenario where the sale's state changes. Every run must end with the payment
 * completed exactly once or aborted with no charge, POS, gateway and issuer journals agreeing.
 *
 * The full matrix (every step index) takes about 7 minutes; CI runs the steps where state changes. Set
 * BENCHTWIN_FAULTS_FULL=1 to run every index.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  applicableFaults,
  runFault,
  type FaultKind,
  type FaultRunResult,
} from '../../host/bench/fault-runs.js';
import { loadScenario, type Scenario } from '../../host/bench/scenario.js';

const E1 = loadScenario('fixtures/scenarios/seed001-e1-mobile-terminal.yaml');
const E2 = loadScenario(
  path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'seed001-e2-minimal.yaml'),
);

const FAULT_WORDS: Record<FaultKind, string> = {
  gateway: 'gateway killed and restarted',
  credit: 'credit servers killed and restarted',
  ble: 'phone out of Bluetooth range and back',
  'data-link': "phone's mobile data cut and restored",
};

/** What each fault must leave in the bench events (so a run without its fault cannot pass). */
const FAULT_EVENTS: Record<FaultKind, string[]> = {
  gateway: ['killed', 'restarted'],
  credit: ['killed', 'restarted'],
  ble: ['ble-range'],
  'data-link': ['data-link'],
};

/**
 * The step indices before which the sale's state has just changed; the fault comes before the step named.
 * seed001-e1-mobile-terminal.yaml:
 */
const E1_STATE_CHANGES: [number, string][] = [
  [1, 'after the sale is entered, before the phone is used'],
  [10, 'after the user authenticated on the UIM (user id offered over BLE)'],
  [11, 'while the user id reaches the POS and it asks for the transaction number'],
  [12, 'after the transaction number and the phone authenticated at the gateway'],
  [14, 'after agreement'],
  [16, 'after the method choice (authorization under way)'],
  [17, 'after completion'],
];

/** seed001-e2-minimal.yaml: */
const E2_STATE_CHANGES: [number, string][] = [
  [3, 'after the credit request, while the confirmation mail reaches the phone'],
  [4, 'with the confirmation request on the screen'],
  [7, 'after the password reply (key delivery, card ready, authorization by the POS)'],
  [8, 'after the phone showed the confirmation (authorization and result report under way)'],
];

const full = process.env['BENCHTWIN_FAULTS_FULL'] === '1';
const indices = (scenario: Scenario, changes: [number, string][]): [number, string][] =>
  full
    ? scenario.steps.map((s, i) => [i, `before ${Object.keys(s)[0]!}`] as [number, string]).slice(1)
    : changes;

const outcomes: FaultRunResult[] = [];

afterAll(() => {
  const rows = outcomes.map(
    (r) =>
      `${r.scenario.padEnd(28)} ${r.fault.padEnd(9)} ${String(r.step).padStart(2)} ${r.before.padEnd(16)} ${r.verdict.padEnd(9)} ${(r.clerk.join('+') || '-').padEnd(14)} ${r.sales
        .map((s) => `${s.outcome}${s.reason ? `/${s.reason}` : ''}`)
        .join(',')
        .padEnd(20)} ${String(r.failedSteps.length).padStart(2)} ${r.problems.join('; ')}`,
  );
  console.log(
    [
      `seed-001 fault runs (${full ? 'every step' : 'the steps where state changes'}):`,
      `${'scenario'.padEnd(28)} fault     step before            verdict   clerk          sale                 failed-steps problems`,
      ...rows,
    ].join('\n'),
  );
});

function matrix(scenario: Scenario, changes: [number, string][]): void {
  for (const fault of applicableFaults(scenario)) {
    for (const [step, when] of indices(scenario, changes)) {
      it(`${FAULT_WORDS[fault]} before step ${step} (${when}): completed exactly once or aborted with no charge, POS, gateway and issuer agreeing`, async () => {
        const events = new Set<string>();
        const r = await runFault(scenario, {
          fault,
          step,
          stepTimeoutMs: 2000,
          onTranscript: (line) => {
            if (line['to'] === 'bench' && typeof line['type'] === 'string') events.add(line['type']);
          },
        });
        outcomes.push(r);
        for (const e of FAULT_EVENTS[fault]) expect(events, `the fault's ${e} event`).toContain(e);
        expect(r.problems).toEqual([]);
        expect(['completed', 'aborted']).toContain(r.verdict);
        expect(r.reconciliation.payments.length).toBeLessThanOrEqual(1);
        for (const p of r.reconciliation.payments) expect(p.charges).toBe(p.verdict === 'completed' ? 1 : 0);
      }, 120_000);
    }
  }
}

describe(`seed 001 fault runs, embodiment 1 (${full ? 'every step index' : 'the step indices where state changes'})`, () => {
  it('the e1 bench can suffer all four faults', () => {
    expect(applicableFaults(E1)).toEqual(['gateway', 'credit', 'ble', 'data-link']);
  });
  matrix(E1, E1_STATE_CHANGES);
});

describe(`seed 001 fault runs, embodiment 2 with a typed user id (${full ? 'every step index' : 'the step indices where state changes'})`, () => {
  it('the e2 bench with a typed user id suffers all but the Bluetooth fault', () => {
    expect(applicableFaults(E2)).toEqual(['gateway', 'credit', 'data-link']);
  });
  matrix(E2, E2_STATE_CHANGES);
});

describe('seed 001 fault runs at the moment the POS journals a step (embodiment 2)', () => {
  for (const fault of ['credit', 'gateway'] as const) {
    it(`${FAULT_WORDS[fault]} for 5 minutes as the POS sends its 0100 (authorization-sent): the POS resends the same STAN, one charge or none`, async () => {
      const r = await runFault(E2, { fault, step: 1, atPosStep: 'authorization-sent', outageMs: 300_000 });
      outcomes.push(r);
      expect(r.before).toBe('expect-screen @authorization-sent');
      expect(r.problems).toEqual([]);
      expect(['completed', 'aborted']).toContain(r.verdict);
      for (const p of r.reconciliation.payments) expect(p.charges).toBe(p.verdict === 'completed' ? 1 : 0);
    }, 120_000);
  }
});
