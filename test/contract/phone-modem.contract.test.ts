/**
 * Contract of a phone's AT modem as the host driver sees it: identity, PIN, IMSI, +CSIM, and the SMS store
 * (write, list, read back byte for byte, delete, an empty slot is 321). It runs against the phone twin on a
 * PTY and, when BENCHTWIN_REAL_PHONE names one, against a real modem with the same driver code:
 *   BENCHTWIN_REAL_PHONE=serial:/dev/ttyUSB0?baud=115200&pin=1234
 * Without it the real-modem run is reported as skipped. Sending is left out: it costs money on a real line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PhoneTwin } from '../../devices/phone/phone-twin.js';
import { SystemClock } from '../../firmware-sim/clock.js';
import { encodeAtPdu, parseAddress, smsSubmitsForText } from '../../firmware-sim/phone/sms/index.js';
import { AtModem } from '../../host/drivers/phone/at-modem.js';
import { phoneProfile } from '../firmware-sim/phone/at/helpers.js';
import { card } from '../firmware-sim/uim/helpers.js';

interface ModemTarget {
  name: string;
  path?: string;
  baudRate: number;
  pin: string;
  start(): Promise<string>;
  stop(): void;
}

function twinTarget(): ModemTarget {
  let dir = '';
  let twin: PhoneTwin | undefined;
  return {
    name: 'phone twin seed001 (PTY)',
    baudRate: 115200,
    pin: '1234',
    async start() {
      dir = mkdtempSync(path.join(os.tmpdir(), 'benchtwin-modem-contract-'));
      const profile = phoneProfile('seed001');
      profile.radio.registrationDelayMs = 0;
      twin = new PhoneTwin({
        name: 'modem-contract',
        profile,
        card: card(profile.card!),
        clock: new SystemClock(),
        runtimeDir: dir,
        msisdn: '+447700900123',
      });
      await twin.open();
      return twin.path;
    },
    stop() {
      twin?.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function realTarget(): ModemTarget | undefined {
  const spec = process.env['BENCHTWIN_REAL_PHONE'];
  const m = spec ? /^serial:([^?]+)(?:\?(.*))?$/.exec(spec) : null;
  if (!m) return undefined;
  const query = new URLSearchParams(m[2] ?? '');
  return {
    name: `real modem ${m[1]}`,
    baudRate: Number(query.get('baud') ?? 115200),
    pin: query.get('pin') ?? '',
    start: () => Promise.resolve(m[1]!),
    stop: () => undefined,
  };
}

const real = realTarget();
const suites: { name: string; target: ModemTarget | undefined }[] = [
  { name: 'phone twin seed001 (PTY)', target: twinTarget() },
  {
    name: real
      ? real.name
      : 'real modem — skipped: set BENCHTWIN_REAL_PHONE=serial:<path>?baud=…&pin=… to run',
    target: real,
  },
];

for (const suite of suites) {
  describe.skipIf(!suite.target)(`Phone modem contract: ${suite.name}`, () => {
    const target = suite.target!;
    let modem: AtModem;

    beforeAll(async () => {
      const p = await target.start();
      modem = await AtModem.open(p, { baudRate: target.baudRate });
    }, 30_000);
    afterAll(async () => {
      await modem?.close();
      target.stop();
    });

    it('identifies itself (+CGMI/+CGMM/+CGMR, a 15-digit IMEI from +CGSN)', async () => {
      const id = await modem.identify();
      expect(id.manufacturer.length).toBeGreaterThan(0);
      expect(id.model.length).toBeGreaterThan(0);
      expect(id.revision.length).toBeGreaterThan(0);
      expect(id.imei).toMatch(/^\d{15}$/);
    });

    it('unlocks the SIM and reads the IMSI', async () => {
      await modem.unlock(target.pin);
      expect(await modem.pinState()).toBe('READY');
      expect(await modem.imsi()).toMatch(/^\d{6,15}$/);
    });

    it('+CSIM: SELECT of the MF is answered with a status word', async () => {
      const r = await modem.transmit(Uint8Array.from([0x00, 0xa4, 0x00, 0x04, 0x02, 0x3f, 0x00]));
      const sw = (r[r.length - 2]! << 8) | r[r.length - 1]!;
      // UICC 9000/61xx, or a GSM-only SIM refusing class 00 with 6E00.
      expect([0x90, 0x61, 0x6e, 0x9f]).toContain(sw >> 8);
    });

    it('SMS store in PDU mode: +CMGW, +CMGL, +CMGR give back the same PDU; +CMGD frees it; an empty slot is 321', async () => {
      const [submit] = smsSubmitsForText({
        destination: parseAddress('+4930123'),
        messageReference: 0,
        reference: 0,
        text: 'benchtwin contract',
      });
      const pdu = encodeAtPdu({ tpdu: submit! });
      await modem.command('AT+CMGF=0');
      await modem.command('AT+CPMS="SM","SM","SM"');
      const w = await modem.command(`AT+CMGW=${pdu.tpduLength}`, { data: pdu.hex });
      const index = Number(/^\+CMGW: ?(\d+)$/.exec(w.lines[0] ?? '')?.[1]);
      expect(index).toBeGreaterThan(0);
      const listed = (await modem.listSms(4)).find((m) => m.index === index);
      expect(listed?.stat).toBe(2);
      const read = await modem.readSms(index);
      // A modem may store its own SMSC in place of "00": compare the TPDU.
      expect(read.decoded?.tpduOctets).toEqual(Uint8Array.from(Buffer.from(pdu.hex.slice(2), 'hex')));
      await modem.deleteSms(index);
      await expect(modem.readSms(index)).rejects.toMatchObject({ cms: 321 });
    });
  });
}
