/**
 * Restarts: the gateway closed in the middle of each state and reopened on the same SQLite file, and once
 * killed with SIGKILL in a child process while an authorization was out. What was under way finishes
 * exactly once: timers are re-armed from the database, a recorded authorization or key delivery is re-sent
 * with the same STAN and the issuer's stored answer completes it. The issuer is a stand-in credit server.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthorizationRequest } from '../../../firmware-sim/cat/credit-host.js';
import { VirtualClock } from '../../../firmware-sim/clock.js';
import type { Mail } from '../../../firmware-sim/payment/gateway-api.js';
import {
  GatewayClient,
  makeTls,
  RecordingPush,
  StandInCredit,
  standInCards,
  tempDir,
  waitFor,
  type TlsMaterial,
} from './helpers.js';
import {
  authBody,
  bearer,
  createTransaction,
  newKey,
  openGateway,
  poll,
  sale,
  upToMethods,
  type Harness,
} from './harness.js';

let tls: TlsMaterial;
beforeAll(() => {
  tls = makeTls();
});
afterAll(() => fs.rmSync(tls.dir, { recursive: true, force: true }));

/** Closes `h` and opens a gateway on the same file, its clock going on from where the old one was. */
async function reopen(h: Harness, dbFile: string): Promise<Harness> {
  await h.gw.close();
  return openGateway({
    dbFile,
    tls,
    clock: new VirtualClock({ start: h.clock.now() }),
    credit: h.credit,
    push: h.push,
  });
}

async function withGateway(run: (h: Harness, dbFile: string) => Promise<Harness>): Promise<void> {
  const db = tempDir();
  let h = await openGateway({ dbFile: db.file, tls });
  try {
    h = await run(h, db.file);
  } finally {
    await h.gw.close();
    db.remove();
  }
}

describe('gateway restart (stand-in credit server)', () => {
  it('closed in created: reopened, the phone authenticates and pays', () =>
    withGateway(async (h0, file) => {
      const id = await createTransaction(h0, '00001');
      const h = await reopen(h0, file);
      const { session } = await upToMethods(h, id, '00001');
      const m = await h.client.post(`/phone/v1/transactions/${id}/method`, { method: 'L' }, bearer(session));
      expect(m.json.status).toBe('completed');
      return h;
    }));

  it('closed in created: the phone timeout is re-armed from the database', () =>
    withGateway(async (h0, file) => {
      const id = await createTransaction(h0, '00001');
      h0.clock.advance(4 * 60_000);
      const h = await reopen(h0, file);
      h.clock.advance(60_000 - 1);
      expect((await poll(h, id)).json.status).toBe('pending');
      h.clock.advance(1);
      await waitFor('the timeout', () => h.gw.journal()[0]!.state === 'aborted');
      expect((await poll(h, id)).json).toMatchObject({ status: 'aborted', reason: 'phone-timeout' });
      return h;
    }));

  it('closed in created and reopened after the deadline: aborted phone-timeout at once', () =>
    withGateway(async (h0, file) => {
      const id = await createTransaction(h0, '00001');
      h0.clock.advance(60_000);
      await h0.gw.close();
      const h = await openGateway({
        dbFile: file,
        tls,
        clock: new VirtualClock({ start: 6 * 60_000 }),
        credit: h0.credit,
        push: h0.push,
      });
      expect((await poll(h, id)).json).toMatchObject({ status: 'aborted', reason: 'phone-timeout' });
      return h;
    }));

  it('closed in authenticated: the repeated authenticate gets the same session; the flow completes', () =>
    withGateway(async (h0, file) => {
      const id = await createTransaction(h0, '00001');
      const auth = authBody(h0.clock, '00001');
      const a = await h0.client.post(`/phone/v1/transactions/${id}/authenticate`, auth);
      const h = await reopen(h0, file);
      const again = await h.client.post(`/phone/v1/transactions/${id}/authenticate`, auth);
      expect(again.json.session).toBe(a.json.session);
      await h.client.post(`/phone/v1/transactions/${id}/agreement`, { agree: true }, bearer(a.json.session));
      const m = await h.client.post(
        `/phone/v1/transactions/${id}/method`,
        { method: 'R' },
        bearer(a.json.session),
      );
      expect(m.json.status).toBe('completed');
      return h;
    }));

  it('closed in agreed: the method call after the restart completes', () =>
    withGateway(async (h0, file) => {
      const id = await createTransaction(h0, '00001');
      const { session } = await upToMethods(h0, id, '00001');
      const h = await reopen(h0, file);
      const m = await h.client.post(`/phone/v1/transactions/${id}/method`, { method: 'L' }, bearer(session));
      expect(m.json.status).toBe('completed');
      return h;
    }));

  it("closed in authorizing: re-sent with the same STAN, the issuer's stored answer completes it, one approval", () =>
    withGateway(async (h0, file) => {
      let open!: () => void;
      h0.credit.gate = new Promise((r) => (open = r));
      const id = await createTransaction(h0, '00001');
      const { session } = await upToMethods(h0, id, '00001');
      const lost = h0.client
        .post(`/phone/v1/transactions/${id}/method`, { method: 'L' }, bearer(session))
        .catch(() => 'connection lost');
      await waitFor('the authorization', () => h0.credit.authorizations.length === 1);
      const h = await reopen(h0, file);
      expect(await lost).toBe('connection lost');
      await waitFor('the re-sent authorization', () => h.credit.authorizations.length === 2);
      open();
      const lp = await poll(h, id, 60_000);
      expect(lp.json).toMatchObject({ status: 'completed', approvalCode: 'A00001' });
      expect(h.credit.authorizations.map((a) => a.stan)).toEqual([1, 1]);
      expect(h.credit.answers.size).toBe(1);
      const m = await h.client.post(`/phone/v1/transactions/${id}/method`, { method: 'L' }, bearer(session));
      expect(m.json).toMatchObject({ status: 'completed', approvalCode: 'A00001' });
      return h;
    }));

  it('closed with a push the SMSC refused: sent at the restart', () =>
    withGateway(async (h0, file) => {
      h0.push.failures = 1;
      await createTransaction(h0, '00001');
      await waitFor('the failed push', () => h0.push.failures === 0);
      const h = await reopen(h0, file);
      await waitFor('the push', () => h.push.pushes.length === 1);
      return h;
    }));

  const confirmationMail = async (h: Harness): Promise<{ id: string; mail: Mail }> => {
    const r = await h.client.post('/pos/v2/credit-requests', sale('00001'), { 'idempotency-key': newKey() });
    const mail = (await h.client.get('/mail/v1/mailboxes/1234567/messages')).json.messages[0] as Mail;
    return { id: r.json.transactionId as string, mail };
  };

  it('closed in awaiting-confirmation: the reply after the restart leads to ready; the replyBy timer is re-armed', () =>
    withGateway(async (h0, file) => {
      const first = await confirmationMail(h0);
      const second = await confirmationMail(h0);
      let h = await reopen(h0, file);
      const r = await h.client.post(`/mail/v1/mailboxes/1234567/messages/${first.mail.messageId}/reply`, {
        password: 'ABCDEF',
      });
      expect(r.json.status).toBe('confirmed');
      expect((await h.client.get(`/pos/v2/credit-requests/${first.id}?waitMs=10000`)).json.status).toBe(
        'ready',
      );
      h = await reopen(h, file);
      h.clock.advance(5 * 60_000);
      await waitFor('no-confirmation', () =>
        h.gw.journal().some((t) => t.transactionId === second.id && t.state === 'cancelled'),
      );
      expect((await h.client.get(`/pos/v2/credit-requests/${second.id}`)).json.reason).toBe(
        'no-confirmation',
      );
      return h;
    }));

  it('closed in delivering-key: re-sent with the same STAN and key; ready; closed in ready: still ready, result closes', () =>
    withGateway(async (h0, file) => {
      let open!: () => void;
      h0.credit.gate = new Promise((r) => (open = r));
      const { id, mail } = await confirmationMail(h0);
      await h0.client.post(`/mail/v1/mailboxes/1234567/messages/${mail.messageId}/reply`, {
        password: 'ABCDEF',
      });
      await waitFor('the key delivery', () => h0.credit.deliveries.length === 1);
      let h = await reopen(h0, file);
      await waitFor('the re-sent key delivery', () => h.credit.deliveries.length === 2);
      open();
      const ready = await h.client.get(`/pos/v2/credit-requests/${id}?waitMs=10000`);
      expect(ready.json.status).toBe('ready');
      const [d1, d2] = h.credit.deliveries;
      expect(d2).toEqual(d1);
      h = await reopen(h, file);
      const still = await h.client.get(`/pos/v2/credit-requests/${id}`);
      expect(still.json).toEqual(ready.json);
      const closed = await h.client.post(`/pos/v2/credit-requests/${id}/result`, {
        approved: true,
        responseCode: '00',
      });
      expect(closed.json.status).toBe('closed');
      return h;
    }));

  it("child process SIGKILLed while authorizing: the restarted gateway completes with the issuer's stored answer, one approval", async () => {
    const db = tempDir();
    const journalFile = path.join(db.dir, 'issuer.jsonl');
    const script = fileURLToPath(new URL('./gateway-process.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script, db.file, tls.dir, journalFile], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let h: Harness | undefined;
    try {
      let out = '';
      child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
      await waitFor('the gateway process', () => out.includes('\n'), 20_000);
      const port = (JSON.parse(out.split('\n')[0]!) as { port: number }).port;
      const clock = new VirtualClock();
      const remote = { client: new GatewayClient(port, tls.caCert), clock } as unknown as Harness;
      const id = await createTransaction(remote, '00001');
      const { session } = await upToMethods(remote, id, '00001');
      const lost = remote.client
        .post(`/phone/v1/transactions/${id}/method`, { method: 'L' }, bearer(session))
        .catch(() => 'connection lost');
      const read = (): string[] =>
        fs.existsSync(journalFile) ? fs.readFileSync(journalFile, 'utf8').split('\n').filter(Boolean) : [];
      await waitFor('the authorization at the issuer', () => read().length === 1);
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      expect(await lost).toBe('connection lost');
      // The issuer had decided and stored its answer before the gateway died.
      const credit = new StandInCredit(standInCards());
      const sent = JSON.parse(read()[0]!) as AuthorizationRequest & { at: string };
      const decided = await credit.authorize({ ...sent, at: new Date(sent.at) });
      expect(decided.approved).toBe(true);
      h = await openGateway({ dbFile: db.file, tls, clock, credit, push: new RecordingPush() });
      const lp = await poll(h, id, 60_000);
      expect(lp.json).toMatchObject({ status: 'completed', approvalCode: decided.approvalCode });
      expect(credit.authorizations.map((a) => a.stan)).toEqual([sent.stan, sent.stan]);
      expect(credit.answers.size).toBe(1);
      const m = await h.client.post(`/phone/v1/transactions/${id}/method`, { method: 'L' }, bearer(session));
      expect(m.json).toMatchObject({ status: 'completed', approvalCode: decided.approvalCode });
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await h?.gw.close();
      db.remove();
    }
  });
});
