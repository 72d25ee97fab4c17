/**
 * Seed 001, embodiment 2 on the bench (FLOWS.md; docs/SEED-001.md): the scenarios of
 * fixtures/scenarios/seed001-e2-*.yaml run in-process with the real services, phone, UIM and POS on the
 * virtual clock — and the acceptance check `expect-no-card-number` shown able to fail.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadScenario, runScenario, type ScenarioResult } from '../../host/bench/scenario.js';
import { hasTshark } from '../oracles.js';
import { ROOT } from './cli.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'benchtwin-seed001-e2-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Line = Record<string, unknown>;

async function run(file: string): Promise<{ result: ScenarioResult; lines: Line[] }> {
  const lines: Line[] = [];
  const result = await runScenario(loadScenario(path.resolve(ROOT, file)), {
    onTranscript: (l) => lines.push(l),
  });
  return { result, lines };
}

/** The failing steps, for a readable assertion message. */
const failures = (r: ScenarioResult): string[] =>
  r.steps.filter((s) => !s.ok).map((s) => `step ${s.index + 1} ${s.kind}: ${s.detail}`);

const https = (lines: Line[]): Line[] => lines.filter((l) => l['type'] === 'https');

describe('seed 001 embodiment 2 scenarios', () => {
  it.skipIf(!hasTshark)(
    'seed001-e2-happy: the POS authorizes with the per-transaction encrypted number; its 0100/0110 in the issuer capture; no card number on the POS side (needs tshark)',
    async () => {
      const { result, lines } = await run('fixtures/scenarios/seed001-e2-happy.yaml');
      expect(failures(result)).toEqual([]);
      expect(result.passed).toBe(true);
      // The transcript holds the POS↔gateway JSON as the POS sent and read it — what the check searched.
      const exchanges = https(lines);
      expect(exchanges.map((e) => `${String(e['method'])} ${String(e['path'])}`)).toEqual(
        expect.arrayContaining([
          'POST /pos/v2/credit-requests',
          'POST /pos/v2/credit-requests/100001/result',
        ]),
      );
      const ready = exchanges.find(
        (e) => (e['response'] as { status?: string } | undefined)?.status === 'ready',
      )!;
      const encrypted = (ready['response'] as { encryptedPan: string }).encryptedPan;
      expect(encrypted).toMatch(/^\d{16}$/);
      expect(encrypted).not.toBe('1234223432344234');
      const detail = result.steps.find((s) => s.kind === 'expect-no-card-number')!.detail;
      expect(detail).toMatch(/pos-pos\.sqlite, pos-pos\.sqlite-wal, .*-serial\.pcapng/);
      expect(detail).toMatch(/-hci\.pcapng/);
    },
    120_000,
  );

  it('seed001-e2-no-confirmation: no reply by replyBy; the gateway cancels on the virtual clock; POS aborted no-confirmation', async () => {
    const { result } = await run('fixtures/scenarios/seed001-e2-no-confirmation.yaml');
    expect(failures(result)).toEqual([]);
    expect(result.steps.find((s) => s.kind === 'expect-sale')!.detail).toContain('reason no-confirmation');
  }, 120_000);

  it('seed001-e2-wrong-password: a wrong reply password cancels at once; POS aborted wrong-password', async () => {
    const { result } = await run('fixtures/scenarios/seed001-e2-wrong-password.yaml');
    expect(failures(result)).toEqual([]);
    expect(result.steps.find((s) => s.kind === 'expect-sale')!.detail).toContain('reason wrong-password');
  }, 120_000);

  it("seed001-e2-expired-card: user 00004's expired card is rejected by the gateway's card lookup; nothing reaches the issuer", async () => {
    const { result } = await run('fixtures/scenarios/seed001-e2-expired-card.yaml');
    expect(failures(result)).toEqual([]);
    expect(result.steps.find((s) => s.kind === 'expect-sale')!.detail).toContain(
      'reason declined-expired-card',
    );
  }, 120_000);
});

describe('seed 001 web-shop variant', () => {
  it.skipIf(!hasTshark)(
    'seed001-e1-web-shop: the phone posts the user id to the shop over HTTPS after the UIM check; the sale completes as through a POS (needs tshark)',
    async () => {
      const { result, lines } = await run('fixtures/scenarios/seed001-e1-web-shop.yaml');
      expect(failures(result)).toEqual([]);
      expect(result.passed).toBe(true);
      // The user id came in over the shop's HTTPS checkout, from the phone, and nowhere else.
      expect(
        https(lines)
          .filter((l) => l['from'] === 'web')
          .map((l) => [l['path'], l['request'], l['status']]),
      ).toEqual([['/checkout/v1/user-id', { userId: '00001' }, 202]]);
      const userId = lines.find((l) => l['type'] === 'pos-user-id')!;
      expect(userId['detail']).toEqual({ userId: '00001', source: 'web-shop' });
    },
    120_000,
  );
});

describe('expect-no-card-number can fail', () => {
  it('a card number the clerk typed as goods is found in the POS journal and in the POS→gateway request of the transcript', async () => {
    // User 00009 is unknown: the gateway rejects at once, so no phone is needed; the goods' name is user
    // 00001's card number in groups of four, which the POS then holds and sends.
    const file = path.join(tmp, 'leak.yaml');
    writeFileSync(
      file,
      [
        'name: seed001-e2-card-number-leak',
        'bench:',
        '  clock: virtual',
        '  roles: { smsc: emu:smsc/bench, issuer-a: emu:credit/2a11111, gateway: emu:gateway/seed001 }',
        'drivers:',
        "  pos: { pos: { terminalId: POS00011, merchantCode: '1111111111', gateway: gateway, userId: { typed: '00009' } } }",
        'steps:',
        "  - pos-sale: { driver: pos, embodiment: 2, items: [{ goods: 'Gift card 1234 2234 3234 4234', quantity: 1, unitPrice: 100, tax: 0 }], currency: JPY }",
        '  - expect-sale: { driver: pos, outcome: aborted, reason: unknown-user }',
        '  - expect-no-card-number: { driver: pos }',
      ].join('\n'),
    );
    const result = await runScenario(loadScenario(file));
    expect(result.passed).toBe(false);
    expect(result.steps.slice(0, 2).every((s) => s.ok)).toBe(true);
    const check = result.steps[2]!;
    expect(check).toMatchObject({ kind: 'expect-no-card-number', ok: false });
    expect(check.detail).toMatch(/pos-pos\.sqlite(-wal)? holds 1234 2234 3234 4234/);
    // The first transcript line with the number is the credit request as the POS sent it.
    expect(check.detail).toMatch(
      /a transcript line holds 1234 2234 3234 4234: .*"type":"https","method":"POST","path":"\/pos\/v2\/credit-requests"/,
    );
  }, 120_000);
});
