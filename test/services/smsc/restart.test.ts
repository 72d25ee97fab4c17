/**
 * Exactly-once delivery across a dying SMSC: a burst of 500 submit_sm, the SMSC stopped part-way (closed in
 * process, or killed with SIGKILL in a child process), restarted on the same SQLite file, and the ESME
 * resubmitting every message it is unsure of with the same user_message_reference. Every message must
 * reach the phone exactly once: one message id per text, one text per message id.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../firmware-sim/clock.js';
import { decodeTpdu, encodeGsm7 } from '../../../firmware-sim/phone/sms/index.js';
import { DeduplicatingInbox, SimulatedNetwork } from '../../../services/smsc/network.js';
import { Smsc } from '../../../services/smsc/smsc.js';
import { ESME } from '../../../services/smsc/submit-sm.js';
import { Esme, tempDb, waitFor } from './helpers.js';

const PHONE = '+4917000002';
const BURST = 500;
const ACCOUNTS = [{ systemId: 'shop', password: 'secret' }];
const textOf = (i: number): string => `Order ${i} paid`;

/**
 * Submits messages [0, BURST) in pipelined windows of 64 (the kill at answer 200 then lands inside a
 * window, with submits outstanding); resolves with the indices answered ROK before the link died.
 */
async function burst(port: number, onAnswer?: (answered: number) => void): Promise<Set<number>> {
  const esme = await Esme.connect(port);
  const answered = new Set<number>();
  try {
    const bind = await esme.call('bind_transmitter', { system_id: 'shop', password: 'secret' });
    expect(bind.command_status).toBe(ESME.ROK);
    const closed = new Promise<void>((resolve) => esme.session.on('close', () => resolve()));
    for (let from = 0; from < BURST && !esme.closed; from += 64) {
      const window = Array.from({ length: Math.min(64, BURST - from) }, (_, k) => from + k).map((i) =>
        esme
          .call('submit_sm', {
            source_addr: '4930999',
            dest_addr_ton: 1,
            destination_addr: PHONE.slice(1),
            data_coding: 0,
            short_message: Buffer.from(encodeGsm7(textOf(i))),
            user_message_reference: i,
          })
          .then((resp) => {
            if (resp.command_status === ESME.ROK) answered.add(i);
            onAnswer?.(answered.size);
          }),
      );
      await Promise.race([Promise.allSettled(window), closed]);
    }
  } finally {
    esme.close();
  }
  return answered;
}

function checkExactlyOnce(deliveries: { id: string; text: string }[]): void {
  const byId = new Map<string, Set<string>>();
  for (const d of deliveries) byId.set(d.id, (byId.get(d.id) ?? new Set()).add(d.text));
  const ids = [...byId.entries()];
  expect(ids.every(([, texts]) => texts.size === 1)).toBe(true);
  const texts = ids.map(([, t]) => [...t][0]!).sort();
  expect(texts).toHaveLength(BURST);
  expect(new Set(texts).size).toBe(BURST);
  expect(texts).toEqual(Array.from({ length: BURST }, (_, i) => textOf(i)).sort());
}

describe('SMSC restart: exactly-once delivery', () => {
  it('in process: closed after 200 answers during a burst of 500, reopened on the same file', async () => {
    const db = tempDb();
    const network = new SimulatedNetwork();
    const inbox = new DeduplicatingInbox();
    const deliveries: { id: string; text: string }[] = [];
    network.register(PHONE, async (d) => {
      await new Promise((r) => setImmediate(r)); // an acknowledgement takes a turn of the radio
      await inbox.handler(d);
      for (const t of d.tpdus) {
        const r = decodeTpdu(t, 'sc-to-ms');
        if (r.ok && r.value.type === 'SMS-DELIVER')
          deliveries.push({ id: d.messageId, text: r.value.userData.text! });
      }
    });
    try {
      const first = new Smsc({ dbFile: db.file, clock: new VirtualClock(), network, accounts: ACCOUNTS });
      const port1 = await first.listen(0);
      let killed: Promise<void> | undefined;
      const before = await burst(port1, (n) => {
        if (n === 200 && !killed) killed = first.close();
      });
      await killed;
      expect(before.size).toBeGreaterThanOrEqual(200);
      expect(before.size).toBeLessThan(BURST);

      const second = new Smsc({ dbFile: db.file, clock: new VirtualClock(), network, accounts: ACCOUNTS });
      const port2 = await second.listen(0);
      const after = await burst(port2);
      expect(after.size).toBe(BURST);
      await waitFor('all delivered', () => second.store.counts().delivered === BURST);
      await new Promise((r) => setTimeout(r, 50));
      expect(second.store.counts()).toEqual({ delivered: BURST });
      expect(inbox.messages.size).toBe(BURST);
      checkExactlyOnce(deliveries);
      await second.close();
    } finally {
      db.remove();
    }
  });

  it('child process: SIGKILL after 200 answers during a burst of 500, restarted on the same file', async () => {
    const db = tempDb();
    const inboxFile = path.join(path.dirname(db.file), 'inbox.jsonl');
    const script = fileURLToPath(new URL('./smsc-process.ts', import.meta.url));
    const start = async (): Promise<{ child: ChildProcess; port: number }> => {
      const child = spawn(process.execPath, ['--import', 'tsx', script, db.file, inboxFile, PHONE], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
      await waitFor('the SMSC process', () => out.includes('\n'), 20_000);
      return { child, port: (JSON.parse(out.split('\n')[0]!) as { port: number }).port };
    };
    const read = (): { id: string; text: string }[] =>
      fs.existsSync(inboxFile)
        ? fs
            .readFileSync(inboxFile, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as { id: string; text: string })
        : [];
    let current: ChildProcess | undefined;
    try {
      const first = await start();
      current = first.child;
      const exited = new Promise((r) => first.child.once('exit', r));
      const before = await burst(first.port, (n) => {
        if (n === 200) first.child.kill('SIGKILL');
      });
      await exited;
      expect(before.size).toBeLessThan(BURST);

      const second = await start();
      current = second.child;
      expect((await burst(second.port)).size).toBe(BURST);
      await waitFor(
        'every message on the phone',
        () => new Set(read().map((d) => d.id)).size >= BURST,
        30_000,
      );
      await new Promise((r) => setTimeout(r, 200));
      checkExactlyOnce(read());
    } finally {
      current?.kill('SIGKILL');
      db.remove();
    }
  }, 90_000);
});
