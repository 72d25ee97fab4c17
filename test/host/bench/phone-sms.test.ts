/**
 * A bench file with a phone twin and the SMSC: an ESME (the smpp package's client) submits to the SMSC's
 * endpoint, the host AT driver reads the message on the phone's endpoint; the SMSC killed and restarted by
 * its bench action keeps serving on the same port.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeGsm7 } from '../../../firmware-sim/phone/sms/index.js';
import { loadBenchFile } from '../../../host/bench/bench-file.js';
import { startBench, type RunningBench } from '../../../host/bench/bench.js';
import type { PhoneTwinDevice } from '../../../host/bench/phone-device.js';
import type { SmscServiceDevice } from '../../../host/bench/smsc-device.js';
import { AtModem } from '../../../host/drivers/phone/at-modem.js';
import { ESME } from '../../../services/smsc/submit-sm.js';
import { Esme, waitFor } from '../../services/smsc/helpers.js';
import { ROOT } from '../../e2e/cli.js';

let bench: RunningBench | undefined;
let modem: AtModem | undefined;
afterEach(async () => {
  await modem?.close();
  await bench?.close();
  if (bench) rmSync(bench.runtimeDir, { recursive: true, force: true });
  bench = undefined;
  modem = undefined;
});

describe('fixtures/benches/phone-sms.yaml', () => {
  it('an SMPP submit to the phone reaches the host AT driver; kill and restart keep the SMSC port', async () => {
    const config = loadBenchFile(path.join(ROOT, 'fixtures/benches/phone-sms.yaml'));
    config.name = `phone-sms-${process.pid}`;
    bench = await startBench(config, { register: false });
    const phone = bench.devices.get('phone') as PhoneTwinDevice;
    const smsc = bench.devices.get('smsc') as SmscServiceDevice;
    expect(phone.summary().msisdn).toBe('+447700900123');
    expect(smsc.summary().endpoint.url).toBe(`smpp://127.0.0.1:${smsc.port}`);

    modem = await AtModem.open(phone.summary().endpoint.path!);
    await modem.unlock('1234');
    await modem.command('AT+CMGF=0');
    await modem.command('AT+CNMI=2,1,0,0,0');
    const urcs: string[] = [];
    modem.on('unsolicited', (lines: string[]) => urcs.push(lines[0]!));

    const submit = async (text: string): Promise<void> => {
      const e = await Esme.connect(smsc.port);
      expect(
        (await e.call('bind_transmitter', { system_id: 'shop', password: 'secret' })).command_status,
      ).toBe(ESME.ROK);
      const r = await e.call('submit_sm', {
        source_addr: 'Shop',
        source_addr_ton: 5,
        dest_addr_ton: 1,
        destination_addr: '447700900123',
        data_coding: 0,
        short_message: Buffer.from(encodeGsm7(text)),
      });
      expect(r.command_status).toBe(ESME.ROK);
      e.close();
    };
    const readNew = async (count: number): Promise<string> => {
      await waitFor(
        `+CMTI number ${count}`,
        () => urcs.filter((u) => u.startsWith('+CMTI:')).length >= count,
      );
      const index = Number(/\d+$/.exec(urcs.filter((u) => u.startsWith('+CMTI:'))[count - 1]!)![0]);
      const sms = await modem!.readSms(index);
      const t = sms.decoded?.tpdu;
      if (t?.type !== 'SMS-DELIVER') throw new Error(`not an SMS-DELIVER: ${sms.pdu}`);
      return t.userData.text ?? '';
    };

    await submit('Table 12: pay 18.40 EUR');
    expect(await readNew(1)).toBe('Table 12: pay 18.40 EUR');

    const port = smsc.port;
    await smsc.actions['kill']!({});
    await expect(Esme.connect(port)).rejects.toThrow();
    await smsc.actions['restart']!({});
    await submit('after the restart');
    expect(await readNew(2)).toBe('after the restart');
  });
});
