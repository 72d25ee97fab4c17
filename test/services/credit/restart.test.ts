/**
 * Exactly-once authorization across a dying credit server: 100 authorizations in flight, the server killed
 * with SIGKILL (in a child process) after 40 answers, restarted on the same SQLite file and port, and the
 * client sending every request again with the same STAN (0101 for the unanswered ones). Every request must
 * be approved exactly once, the answered ones with the very answer they had, and the card charged once each.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { connectCreditHost } from '../../../devices/cat/iso8583-link.js';
import type { AuthorizationResponse } from '../../../firmware-sim/cat/credit-host.js';
import { SystemClock } from '../../../firmware-sim/clock.js';
import { CreditStore } from '../../../services/credit/store.js';
import { waitFor } from '../smsc/helpers.js';
import { authRequest, tempDir } from './helpers.js';

const COUNT = 100;
const KILL_AT = 40;
const AMOUNT = 1000;

describe('credit server restart: exactly-once authorization', () => {
  it('child process: SIGKILL after 40 of 100 answers, restarted on the same file; repeats get the stored answers', async () => {
    const tmp = tempDir();
    const db = tmp.file('credit.sqlite');
    const script = fileURLToPath(new URL('./credit-process.ts', import.meta.url));
    const start = async (port: number): Promise<{ child: ChildProcess; port: number }> => {
      const child = spawn(process.execPath, ['--import', 'tsx', script, db, String(port)], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
      await waitFor('the credit server process', () => out.includes('\n'), 20_000);
      return { child, port: (JSON.parse(out.split('\n')[0]!) as { port: number }).port };
    };
    let current: ChildProcess | undefined;
    const clock = new SystemClock();
    try {
      const first = await start(0);
      current = first.child;
      const exited = new Promise((r) => first.child.once('exit', r));
      const client = await connectCreditHost({
        host: '127.0.0.1',
        port: first.port,
        clock,
        terminalId: 'GW01',
        timeoutMs: 10_000,
        retries: 0,
      });
      const before = new Map<number, AuthorizationResponse>();
      const requests = Array.from({ length: COUNT }, (_, i) => authRequest(i + 1, { amountMinor: AMOUNT }));
      const send = (r: (typeof requests)[number]) =>
        client.authorize(r).then((answer) => void before.set(r.stan, answer));
      // 40 answered; then the other 60 are sent and the server is killed at once. (Killing it at the
      // 40th answer would race with group commit, which releases a whole flush's answers together.)
      await Promise.all(requests.slice(0, KILL_AT).map(send));
      const rest = requests.slice(KILL_AT).map(send);
      first.child.kill('SIGKILL');
      await Promise.allSettled(rest);
      await exited;
      expect(before.size).toBeGreaterThanOrEqual(KILL_AT);
      expect(before.size).toBeLessThan(COUNT);

      const second = await start(first.port);
      current = second.child;
      const after = await Promise.all(requests.map((r) => client.authorize(r)));
      await client.close();
      for (const [i, answer] of after.entries()) {
        expect(answer.responseCode, `STAN ${i + 1}`).toBe('00');
        const earlier = before.get(i + 1);
        if (earlier) expect(answer, `STAN ${i + 1}`).toEqual(earlier);
      }
      expect(new Set(after.map((a) => a.approvalCode)).size).toBe(COUNT);
      second.child.kill('SIGKILL');
      await new Promise((r) => second.child.once('exit', r));

      const store = new CreditStore(db);
      try {
        expect(store.authorizations()).toHaveLength(COUNT);
        expect(store.cardholder('1234223432344234')!.used).toBe(COUNT * AMOUNT);
      } finally {
        store.close();
      }
    } finally {
      current?.kill('SIGKILL');
      tmp.remove();
    }
  }, 90_000);
});
