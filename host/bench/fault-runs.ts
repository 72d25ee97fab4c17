/**
 * Fault runs of seed 001: a scenario's steps up to an index, then one fault — the gateway or the issuers'
 * credit servers killed and restarted, the phone taken out of Bluetooth range and back, its mobile data cut
 * and restored — then the remaining steps in tolerant mode (what the user was told to expect may not come),
 * the POS sale brought to an end as a clerk would, and a reconciliation of the POS, gateway and issuer
 * journals. A run passes when every payment completed exactly once or was aborted with no charge, and all
 * three agree.
 */
import { rmSync } from 'node:fs';
import type { Clock } from '../../firmware-sim/clock.js';
import type { SaleResult } from '../pos/pos-app.js';
import type { BenchDevice } from './device.js';
import { CreditServiceDevice } from './credit-device.js';
import { GatewayServiceDevice } from './gateway-device.js';
import type { Reconciliation } from './reconcile.js';
import { benchRuntimeDir } from './registry.js';
import type { HeldPos } from './scenario-pos.js';
import { runScenario, type Scenario, type ScenarioContext, type StepResult } from './scenario.js';

export const FAULT_KINDS = ['gateway', 'credit', 'ble', 'data-link'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultRunOptions {
  fault: FaultKind;
  /** The fault is injected before this step (after steps 0 … index-1); steps.length: after the last. */
  step: number;
  /**
   * Inject the fault the moment the POS journals this step (`authorization-sent`, `transaction-number`…:
   * the names of docs/POS.md) instead of before step `step`; steps from `step` on are tolerant.
   */
  atPosStep?: string;
  /**
   * Virtual (bench clock) milliseconds between the cut and the repair. The default (20 s) outlasts the
   * Bluetooth supervision timeout, so an out-of-range link really drops.
   */
  outageMs?: number;
  /** Real milliseconds a tolerant step may wait (its own timeoutMs is cut to this; default 3000). */
  stepTimeoutMs?: number;
  /** Real milliseconds to wait for the POS sale to end before the clerk acts (default 10 000). */
  settleMs?: number;
  /** Keep the run's bench folder (journals, captures) instead of removing it. */
  keepFiles?: boolean;
  /** Each step as it completes. */
  onStep?(result: StepResult, total: number): void;
  onTranscript?(line: Record<string, unknown>): void;
}

/** What a clerk did after the fault to get the sale to end: cancel it, restart the POS (it resumes). */
export type ClerkAction = 'cancel' | 'restart';

export interface FaultRunResult {
  scenario: string;
  fault: FaultKind;
  step: number;
  /** The kind of the step the fault came before (or `end`). */
  before: string;
  /** Steps that failed after the fault (recorded, not fatal). */
  failedSteps: StepResult[];
  steps: StepResult[];
  /** In order; empty when the sale ended by itself. */
  clerk: ClerkAction[];
  /** How each POS sale ended (unknown: still open at the end). */
  sales: { saleId: string; outcome: string; reason?: string }[];
  reconciliation: Reconciliation;
  /** completed / aborted: reconciled; failed: a problem below. */
  verdict: 'completed' | 'aborted' | 'failed';
  problems: string[];
}

/** The fault kinds that can touch this scenario (a phone nobody reads over BLE has no range to leave). */
export function applicableFaults(scenario: Scenario): FaultKind[] {
  const kinds = new Set(scenario.bench.roles.map((r) => r.transportText.split(/[/?]/)[0]));
  const phone = scenario.bench.roles.find((r) => r.transportText.startsWith('emu:phone/'));
  const out: FaultKind[] = [];
  if (kinds.has('emu:gateway')) out.push('gateway');
  if (kinds.has('emu:credit')) out.push('credit');
  // Bluetooth matters only where something reads the phone over it (a mobile terminal, the POS, a PhoneLink).
  const overBle = Object.values(scenario.drivers).some(
    (d) => d.kind === 'phoneLink' || (d.kind === 'pos' && !('typed' in d.userId)),
  );
  if (phone && overBle && /[?&]ble=on\b/.test(phone.transportText)) out.push('ble');
  if (phone) out.push('data-link');
  return out;
}

/** A wait on the bench's clock: on a virtual clock it costs what the clock takes to jump there. */
const sleep = (clock: Clock, ms: number): Promise<void> =>
  new Promise((resolve) => clock.setTimeout(resolve, ms));

function devicesOf<T extends BenchDevice>(
  ctx: ScenarioContext,
  is: (d: BenchDevice) => d is T,
  what: string,
): T[] {
  const found = [...ctx.bench.devices.values()].filter(is);
  if (!found.length) throw new Error(`fault run: the bench has no ${what}`);
  return found;
}

function phoneAction(ctx: ScenarioContext, action: string): (body: unknown) => Promise<unknown> {
  for (const d of ctx.bench.devices.values()) {
    const fn = d.actions[action];
    if (fn) return fn;
  }
  throw new Error(`fault run: no device of the bench has the action ${action}`);
}

/** Cuts, waits `outageMs` on the bench clock, repairs. */
export async function injectFault(ctx: ScenarioContext, fault: FaultKind, outageMs: number): Promise<void> {
  const clock = ctx.bench.clock;
  switch (fault) {
    case 'gateway':
    case 'credit': {
      const services =
        fault === 'gateway'
          ? devicesOf(ctx, (d): d is GatewayServiceDevice => d instanceof GatewayServiceDevice, 'gateway')
          : devicesOf(
              ctx,
              (d): d is CreditServiceDevice => d instanceof CreditServiceDevice,
              'credit server',
            );
      for (const s of services) await s.actions['kill']!({});
      await sleep(clock, outageMs);
      for (const s of services) await s.actions['start']!({});
      return;
    }
    case 'ble': {
      const range = phoneAction(ctx, 'ble-range');
      await range({ out: true });
      await sleep(clock, outageMs);
      await range({ out: false });
      return;
    }
    case 'data-link': {
      const link = phoneAction(ctx, 'data-link');
      await link({ up: false });
      await sleep(clock, outageMs);
      await link({ up: true });
      return;
    }
  }
}

/** The sale results within `ms` real milliseconds, or undefined for a sale still open. */
async function settled(
  held: HeldPos,
  ms: number,
): Promise<{ saleId: string; result: SaleResult | undefined }[]> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  try {
    return await Promise.all(
      held.sales.map(async (s) => ({
        saleId: s.saleId,
        result: await Promise.race([s.done.catch(() => undefined), deadline]),
      })),
    );
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Brings every POS sale to its end as a clerk would: wait; a sale whose authorization went unanswered
 * (outcome `unknown`) or a POS still stuck after a cancel is restarted, and resumes from its journal with
 * the same keys and STAN; a sale still waiting (for a user id, a phone that will not answer) is cancelled.
 */
async function settleSales(
  held: HeldPos,
  settleMs: number,
): Promise<{ clerk: ClerkAction[]; sales: FaultRunResult['sales'] }> {
  const clerk: ClerkAction[] = [];
  let r = await settled(held, settleMs);
  const open = (): typeof r => r.filter((s) => !s.result || s.result.outcome === 'unknown');
  for (let round = 0; round < 4 && open().length; round++) {
    const waiting = r.filter((s) => !s.result);
    if (waiting.length && !clerk.includes('cancel')) {
      clerk.push('cancel');
      for (const s of waiting) held.app.cancel(s.saleId);
    } else {
      clerk.push('restart');
      await held.restart();
    }
    r = await settled(held, settleMs);
  }
  return {
    clerk,
    sales: r.map((s) => ({
      saleId: s.saleId,
      outcome: s.result?.outcome ?? 'open',
      ...(s.result?.reason ? { reason: s.result.reason } : {}),
    })),
  };
}

/** One fault run of `scenario` (see the module comment). */
export async function runFault(scenario: Scenario, o: FaultRunOptions): Promise<FaultRunResult> {
  const n = scenario.steps.length;
  if (!Number.isInteger(o.step) || o.step < 0 || o.step > n)
    throw new RangeError(`fault run: step ${o.step} is not between 0 and ${n}`);
  const outageMs = o.outageMs ?? 20_000;
  const settleMs = o.settleMs ?? 10_000;
  let settledSales: Awaited<ReturnType<typeof settleSales>> | undefined;
  let reconciliation: Reconciliation | undefined;
  const inject = (ctx: ScenarioContext): Promise<void> => injectFault(ctx, o.fault, outageMs);
  // Each run on a bench of its own: fresh journals, and its files removed after unless kept.
  const { captureDir: _captureDir, ...bench } = scenario.bench;
  void _captureDir;
  const own: Scenario = {
    ...scenario,
    bench: {
      ...bench,
      name: `${scenario.bench.name}-${o.fault}-${o.step}${o.atPosStep ? `-${o.atPosStep}` : ''}`,
    },
  };
  const dir = benchRuntimeDir(own.bench.name);
  rmSync(dir, { recursive: true, force: true });
  let running: ScenarioContext | undefined;
  let injected: Promise<void> | undefined;
  const atPosStep = o.atPosStep === undefined ? undefined : `pos-${o.atPosStep}`;
  const run = await runScenario(own, {
    tolerant: { from: o.step, timeoutMs: o.stepTimeoutMs ?? 3000 },
    beforeStep: async (index, ctx) => {
      running = ctx;
      if (index === o.step && !atPosStep) await inject(ctx);
    },
    onTranscript: (line) => {
      if (atPosStep && !injected && running && line['type'] === atPosStep) injected = inject(running);
      o.onTranscript?.(line);
    },
    afterSteps: async (ctx) => {
      if (atPosStep) {
        if (!injected) throw new Error(`fault run: the POS never journaled ${o.atPosStep}`);
        await injected;
      } else if (o.step === n) await inject(ctx);
      const pos = [...ctx.pos.values()];
      if (pos.length !== 1) throw new Error(`fault run: the scenario needs exactly one pos driver`);
      const held = pos[0]!;
      settledSales = await settleSales(held, settleMs);
      reconciliation = held.reconcile();
    },
    ...(o.onStep ? { onStep: o.onStep } : {}),
  }).finally(() => {
    if (!o.keepFiles) rmSync(dir, { recursive: true, force: true });
  });
  const rec = reconciliation!;
  const { clerk, sales } = settledSales!;
  const problems = [...rec.problems];
  for (const s of run.steps)
    if (!s.ok && s.index < o.step)
      problems.push(`step ${s.index} (${s.kind}) failed before the fault: ${s.detail}`);
  if (run.steps.length < Math.min(o.step, n))
    problems.push(`the run stopped at step ${run.steps.length}, before the fault`);
  for (const s of sales)
    if (s.outcome === 'open' || s.outcome === 'unknown')
      problems.push(`sale ${s.saleId} never ended (${s.outcome}) after ${clerk.join(', ')}`);
  if (!rec.payments.length && !sales.every((s) => s.outcome === 'aborted'))
    problems.push('no payment reached the gateway, yet a sale did not end aborted');
  for (const p of rec.payments)
    if (p.verdict === 'open') problems.push(`${p.transactionId}: POS ${p.pos}, gateway ${p.gateway}`);
  const verdict = problems.length
    ? 'failed'
    : rec.payments.some((p) => p.verdict === 'completed')
      ? 'completed'
      : 'aborted';
  const before =
    (o.step < n ? Object.keys(scenario.steps[o.step]!)[0]! : 'end') + (o.atPosStep ? ` @${o.atPosStep}` : '');
  return {
    scenario: scenario.name,
    fault: o.fault,
    step: o.step,
    before,
    failedSteps: run.steps.filter((s) => !s.ok && s.index >= o.step),
    steps: run.steps,
    clerk,
    sales,
    reconciliation: rec,
    verdict,
    problems,
  };
}
