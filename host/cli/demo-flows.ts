/**
 * The payment-flow part of `benchtwin demo`: every seed-001 scenario of `fixtures/scenarios/` run on its
 * own all-emulated bench (virtual clock), with a line per scenario as it ends and a summary table — what the
 * POS ended with, how the reconciliation of POS, gateway and issuer journals came out, and where each run
 * left its transcript and captures.
 */
import { createWriteStream, readdirSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../devices/project-root.js';
import { loadScenario, runScenario, withCaptureDir, type StepResult } from '../bench/scenario.js';
import { runtimeRoot } from '../bench/registry.js';

export interface FlowOutcome {
  scenario: string;
  description?: string;
  passed: boolean;
  steps: number;
  ok: number;
  /** The expect-sale detail (what the POS ended with). */
  sale?: string;
  /** The reconcile detail. */
  reconcile?: string;
  /** The first failing step, when one failed. */
  failure?: string;
  ms: number;
  transcript: string;
  captures: string;
}

export function flowScenarioFiles(filter?: string): string[] {
  const dir = path.join(projectRoot(), 'fixtures', 'scenarios');
  return readdirSync(dir)
    .filter((f) => /^seed001-.*\.ya?ml$/.test(f))
    .filter((f) => filter === undefined || f.replace(/\.ya?ml$/, '').includes(filter))
    .sort()
    .map((f) => path.join(dir, f));
}

async function runFlow(file: string, onStep: (r: StepResult, total: number) => void): Promise<FlowOutcome> {
  const scenario = loadScenario(file);
  const captures = withCaptureDir(scenario);
  const transcript = path.join(captures, `${scenario.name}-transcript.jsonl`);
  const out = createWriteStream(transcript);
  const started = performance.now();
  const steps: StepResult[] = [];
  let failure: string | undefined;
  try {
    const result = await runScenario(scenario, {
      onStep: (r, total) => {
        steps.push(r);
        onStep(r, total);
      },
      onTranscript: (line) => out.write(`${JSON.stringify(line)}\n`),
    });
    const bad = result.steps.find((s) => !s.ok);
    if (bad) failure = `step ${bad.index + 1} ${bad.kind}: ${bad.detail}`;
  } catch (err) {
    failure = `could not run: ${err instanceof Error ? err.message : String(err)}`;
  } finally {
    await new Promise<void>((resolve) => out.end(resolve));
  }
  const last = (kind: string) => steps.filter((s) => s.kind === kind && s.ok).at(-1)?.detail;
  const sale = last('expect-sale');
  const reconcile = last('reconcile');
  return {
    scenario: scenario.name,
    ...(scenario.description ? { description: scenario.description } : {}),
    passed: failure === undefined && steps.length === scenario.steps.length,
    steps: scenario.steps.length,
    ok: steps.filter((s) => s.ok).length,
    ...(sale ? { sale } : {}),
    ...(reconcile ? { reconcile } : {}),
    ...(failure ? { failure } : {}),
    ms: performance.now() - started,
    transcript,
    captures,
  };
}

const pad = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s.padEnd(n));

/** "sale X: completed, transaction 100001, method L, approval K5N9VZ" → "completed L K5N9VZ". */
function saleSummary(detail: string): string {
  const outcome = /: (\w+)/.exec(detail)?.[1] ?? '?';
  const reason = /reason ([\w-]+)/.exec(detail)?.[1];
  const method = /method (\w+)/.exec(detail)?.[1];
  const approval = /approval (\w+)/.exec(detail)?.[1];
  return [outcome, reason, method, approval].filter(Boolean).join(' ');
}

/** The reconcile detail in a few words. */
function reconcileSummary(detail: string | undefined): string {
  if (!detail) return '-';
  const completed = Number(/(\d+) completed/.exec(detail)?.[1] ?? 0);
  const aborted = Number(/(\d+) aborted/.exec(detail)?.[1] ?? 0);
  const parts = [
    ...(completed ? [`${completed} completed exactly once`] : []),
    ...(aborted ? [`${aborted} aborted, no charge`] : []),
  ];
  return `${parts.length ? parts.join(', ') : 'no payment reached the gateway'}; agree`;
}

/** Runs the flows; prints progress and a summary; returns the outcomes. */
export async function runFlowDemo(o: { json: boolean; filter?: string }): Promise<FlowOutcome[]> {
  const files = flowScenarioFiles(o.filter);
  const outcomes: FlowOutcome[] = [];
  if (!o.json) console.log(`\nSeed 001 payment flows: ${files.length} scenario(s), each on its own bench`);
  for (const [i, file] of files.entries()) {
    if (!o.json) process.stdout.write(`  [${i + 1}/${files.length}] ${path.basename(file)} `);
    const outcome = await runFlow(file, () => {
      if (!o.json) process.stdout.write('.');
    });
    outcomes.push(outcome);
    if (o.json) console.log(JSON.stringify({ event: 'scenario', ...outcome }));
    else
      console.log(
        ` ${outcome.passed ? 'ok' : 'FAIL'} (${(outcome.ms / 1000).toFixed(1)} s)${outcome.failure ? `\n      ${outcome.failure}` : ''}`,
      );
  }
  if (!o.json && outcomes.length) {
    console.log(
      `\n  ${pad('scenario', 34)} ${pad('result', 6)} ${pad('POS ended with', 36)} journals (POS, gateway, issuers)`,
    );
    for (const x of outcomes) {
      const sale = x.sale ? saleSummary(x.sale) : '-';
      console.log(
        `  ${pad(x.scenario, 34)} ${pad(x.passed ? 'ok' : 'FAIL', 6)} ${pad(sale, 36)} ${reconcileSummary(x.reconcile)}`,
      );
    }
    const pid = path.basename(path.dirname(outcomes[0]!.captures)).replace(/^.*-/, '');
    console.log(
      `\n  transcripts and captures: ${path.join(runtimeRoot(), 'benches', `<scenario>-${pid}`, 'captures')}`,
    );
  }
  return outcomes;
}
