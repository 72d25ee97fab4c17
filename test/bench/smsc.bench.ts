/**
 * SMSC throughput: submit_sm over SMPP (the smpp package's client) → SMS-DELIVER acknowledged by the phone
 * on the simulated network, rounds of 1000 messages. The radio takes 100 ms of virtual time per delivery
 * (paging, delivery, RP-ACK) with 256 deliveries in flight; the virtual clock jumps over quiet periods, so
 * the virtual figure is what CI sees, and the wall-clock figure shows what the SQLite queue (fsync on every
 * commit) and the SMPP stack cost on this machine. Target (phone issue): ≥ 1000 messages/s, virtual clock.
 */
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { VirtualClock } from '../../firmware-sim/clock.js';
import { encodeGsm7 } from '../../firmware-sim/phone/sms/index.js';
import { SimulatedNetwork } from '../../services/smsc/network.js';
import { Smsc } from '../../services/smsc/smsc.js';
import { Esme, tempDb, waitFor } from '../services/smsc/helpers.js';
import { report } from './report.js';

const ROUND = 1000;
const PHONE = '+4917000003';
const db = tempDb();
const clock = new VirtualClock({ autoAdvance: { quietMs: 1 } });
const network = new SimulatedNetwork({ clock, latencyMs: 100 });
let delivered = 0;
network.register(PHONE, async () => void delivered++);
const smsc = new Smsc({ dbFile: db.file, clock, network, accounts: [{ systemId: 'bench', password: 'pw' }] });
let esme: Esme;
const rounds: { virtualMs: number; wallMs: number }[] = [];

beforeAll(async () => {
  esme = await Esme.connect(await smsc.listen(0));
  await esme.call('bind_transmitter', { system_id: 'bench', password: 'pw' });
});

afterAll(async () => {
  esme.close();
  await smsc.close();
  clock.dispose();
  db.remove();
  const virtualMs = rounds.reduce((n, r) => n + r.virtualMs, 0);
  const wallMs = rounds.reduce((n, r) => n + r.wallMs, 0);
  const virtualRate = (rounds.length * ROUND) / (virtualMs / 1000);
  const wallRate = (rounds.length * ROUND) / (wallMs / 1000);
  report(`SMSC submit_sm → phone delivery, ${rounds.length} rounds of ${ROUND} messages`, [
    {
      figure: 'virtual clock',
      value: `${virtualRate.toFixed(0)} msg/s`,
      target: '≥ 1000 msg/s',
      met: virtualRate >= 1000,
    },
    { figure: 'wall clock', value: `${wallRate.toFixed(0)} msg/s`, target: '-', met: true },
  ]);
});

describe('smsc', () => {
  bench(
    `${ROUND} × submit_sm → SMS-DELIVER acknowledged`,
    async () => {
      const target = delivered + ROUND;
      const v0 = clock.now();
      const w0 = performance.now();
      const text = Buffer.from(encodeGsm7('Your payment of 12.50 EUR was received'));
      const calls = Array.from({ length: ROUND }, () =>
        esme.call('submit_sm', {
          source_addr: '4930999',
          dest_addr_ton: 1,
          destination_addr: PHONE.slice(1),
          short_message: text,
        }),
      );
      await Promise.all(calls);
      await waitFor('deliveries', () => delivered >= target, 120_000);
      rounds.push({ virtualMs: clock.now() - v0, wallMs: performance.now() - w0 });
    },
    { iterations: 3, warmupIterations: 0, time: 0 },
  );
});
