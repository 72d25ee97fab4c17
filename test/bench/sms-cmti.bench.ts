/**
 * SMPP submit → +CMTI on the phone (issue [phone]): an ESME (the smpp package's client) submits to the
 * SMSC, the simulated network delivers to a phone twin, the twin stores each message in phone memory and
 * raises +CMTI on its AT port, and a host reading that port with serialport counts the notifications.
 * The radio takes 100 ms of virtual time per delivery with 256 in flight, as in smsc.bench.ts; the clock
 * jumps over quiet periods. Target: ≥ 1000 messages/s on the virtual clock.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { VirtualClock } from '../../firmware-sim/clock.js';
import { encodeGsm7 } from '../../firmware-sim/phone/sms/index.js';
import { PhoneTwin } from '../../devices/phone/phone-twin.js';
import { AtModem } from '../../host/drivers/phone/at-modem.js';
import { SimulatedNetwork } from '../../services/smsc/network.js';
import { attachPhone } from '../../services/smsc/phone-attachment.js';
import { Smsc } from '../../services/smsc/smsc.js';
import { phoneProfile } from '../firmware-sim/phone/at/helpers.js';
import { card } from '../firmware-sim/uim/helpers.js';
import { Esme, tempDb, waitFor } from '../services/smsc/helpers.js';
import { report } from './report.js';

const ROUND = 1000;
const MSISDN = '+447700900123';
const dir = mkdtempSync(path.join(os.tmpdir(), 'benchtwin-cmti-'));
const db = tempDb();
const clock = new VirtualClock({ autoAdvance: { quietMs: 1 } });
const network = new SimulatedNetwork({ clock, latencyMs: 100 });
const smsc = new Smsc({ dbFile: db.file, clock, network, accounts: [{ systemId: 'bench', password: 'pw' }] });
let twin: PhoneTwin;
let modem: AtModem;
let esme: Esme;
let cmti = 0;
const rounds: { virtualMs: number; wallMs: number }[] = [];

beforeAll(async () => {
  const profile = phoneProfile('seed001');
  profile.radio.registrationDelayMs = 0;
  twin = new PhoneTwin({
    name: 'cmti-bench',
    profile,
    card: card(profile.card!),
    clock,
    runtimeDir: dir,
    msisdn: MSISDN,
    phoneSmsMemorySize: 4 * ROUND + 100,
  });
  attachPhone(network, twin);
  await twin.open();
  // The host runs on its own wall clock: the bench's virtual clock must not time out its commands.
  modem = await AtModem.open(twin.path);
  await modem.unlock('1234');
  // New messages into phone memory, each announced as +CMTI: "ME",<index>.
  await modem.command('AT+CPMS="ME","ME","ME"');
  await modem.command('AT+CNMI=2,1,0,0,0');
  modem.on('unsolicited', (lines: string[]) => {
    if (lines[0]?.startsWith('+CMTI:')) cmti++;
  });
  esme = await Esme.connect(await smsc.listen(0));
  await esme.call('bind_transmitter', { system_id: 'bench', password: 'pw' });
});

afterAll(async () => {
  esme.close();
  await modem.close();
  twin.close();
  await smsc.close();
  clock.dispose();
  db.remove();
  rmSync(dir, { recursive: true, force: true });
  const n = rounds.length * ROUND;
  const virtualRate = n / (rounds.reduce((s, r) => s + r.virtualMs, 0) / 1000);
  const wallRate = n / (rounds.reduce((s, r) => s + r.wallMs, 0) / 1000);
  report(`SMPP submit_sm → +CMTI read on the phone's AT port, ${rounds.length} rounds of ${ROUND}`, [
    {
      figure: 'virtual clock',
      value: `${virtualRate.toFixed(0)} msg/s`,
      target: '≥ 1000 msg/s',
      met: virtualRate >= 1000,
    },
    { figure: 'wall clock', value: `${wallRate.toFixed(0)} msg/s`, target: '-', met: true },
  ]);
});

describe('submit → +CMTI', () => {
  bench(
    `${ROUND} × submit_sm → +CMTI on the PTY`,
    async () => {
      const target = cmti + ROUND;
      const v0 = clock.now();
      const w0 = performance.now();
      const text = Buffer.from(encodeGsm7('Payment 12.50 EUR received'));
      await Promise.all(
        Array.from({ length: ROUND }, () =>
          esme.call('submit_sm', {
            source_addr: 'Bank',
            source_addr_ton: 5,
            dest_addr_ton: 1,
            destination_addr: MSISDN.slice(1),
            short_message: text,
          }),
        ),
      );
      await waitFor(`${ROUND} × +CMTI`, () => cmti >= target, 120_000);
      rounds.push({ virtualMs: clock.now() - v0, wallMs: performance.now() - w0 });
    },
    { iterations: 3, warmupIterations: 0, time: 0 },
  );
});
