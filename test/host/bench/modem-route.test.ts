/**
 * The SMSC's route out through an AT modem: an ESME submits to SMSC 1 a text for a number of another
 * network; SMSC 1 hands it to the host AT driver on a modem's serial path — here a phone twin attached to
 * network 2, standing where a real GSM modem would — whose AT+CMGS reaches SMSC 2 and the recipient phone.
 * Real parts throughout: two SMSCs on SQLite files, PTYs, the smpp package's client.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SystemClock } from '../../../firmware-sim/clock.js';
import { encodeGsm7 } from '../../../firmware-sim/phone/sms/index.js';
import { PhoneTwin } from '../../../devices/phone/phone-twin.js';
import { routeThroughModem } from '../../../host/bench/modem-route.js';
import { AtModem, type ReceivedMessage } from '../../../host/drivers/phone/at-modem.js';
import { SimulatedNetwork } from '../../../services/smsc/network.js';
import { attachPhone } from '../../../services/smsc/phone-attachment.js';
import { Smsc } from '../../../services/smsc/smsc.js';
import { phoneProfile } from '../../firmware-sim/phone/at/helpers.js';
import { card } from '../../firmware-sim/uim/helpers.js';
import { Esme, tempDb, waitFor } from '../../services/smsc/helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function phoneOn(
  network: SimulatedNetwork,
  msisdn: string,
  dir: string,
  name: string,
): Promise<AtModem> {
  const profile = phoneProfile('seed001');
  profile.radio.registrationDelayMs = 0;
  const twin = new PhoneTwin({
    name,
    profile,
    card: card(profile.card!),
    clock: new SystemClock(),
    runtimeDir: dir,
    msisdn,
  });
  attachPhone(network, twin);
  await twin.open();
  cleanups.push(() => twin.close());
  const modem = await AtModem.open(twin.path);
  cleanups.push(() => modem.close());
  await modem.unlock('1234');
  return modem;
}

describe('an SMSC route out through an AT modem', () => {
  it('a submit for another network goes out by AT+CMGS on the modem and arrives there, once, long texts whole', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'benchtwin-route-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const clock = new SystemClock();
    const accounts = [{ systemId: 'shop', password: 'secret' }];
    const net1 = new SimulatedNetwork();
    const net2 = new SimulatedNetwork();
    const db1 = tempDb();
    const db2 = tempDb();
    cleanups.push(db1.remove, db2.remove);
    const smsc1 = new Smsc({ dbFile: db1.file, clock, network: net1, accounts });
    const smsc2 = new Smsc({ dbFile: db2.file, clock, network: net2, accounts });
    cleanups.push(
      () => smsc1.close(),
      () => smsc2.close(),
    );
    const port1 = await smsc1.listen(0);

    // The gateway modem (a phone twin on network 2) and the recipient on network 2.
    const gateway = await phoneOn(net2, '+447700900001', dir, 'gateway');
    const recipient = await phoneOn(net2, '+4917000001', dir, 'recipient');
    const received: ReceivedMessage[] = [];
    recipient.on('sms', (m: ReceivedMessage) => received.push(m));
    await recipient.startReceiving();
    const route = routeThroughModem(net1, '+4917', gateway);
    cleanups.push(() => route.close());

    const esme = await Esme.connect(port1);
    cleanups.push(() => esme.close());
    expect(
      (await esme.call('bind_transmitter', { system_id: 'shop', password: 'secret' })).command_status,
    ).toBe(0);
    const long = 'Receipt 0042: '.padEnd(300, 'x');
    for (const text of ['Table 7 paid, thank you', long]) {
      const r = await esme.call('submit_sm', {
        source_addr: 'Shop',
        source_addr_ton: 5,
        dest_addr_ton: 1,
        destination_addr: '4917000001',
        data_coding: 0,
        // Over 254 octets a text goes in the message_payload TLV (SMPP 3.4 §5.3.2.32).
        ...(text.length > 254
          ? { message_payload: Buffer.from(encodeGsm7(text)) }
          : { short_message: Buffer.from(encodeGsm7(text)) }),
      });
      expect(r.command_status).toBe(0);
    }
    await waitFor('both messages at the recipient', () => received.length === 2);
    expect(received.map((m) => m.text)).toEqual(['Table 7 paid, thank you', long]);
    // The recipient sees the gateway modem's number as the sender: the message crossed a real +CMGS.
    expect(received.every((m) => m.originator === '+447700900001')).toBe(true);
    await waitFor('SMSC 1 counts both delivered', () => smsc1.store.counts()['delivered'] === 2);
    expect(route.sent).toBe(2);
  });
});

describe('emu:smsc with routePrefix and routeModem', () => {
  it('sends on through the modem path named in the transport string; the far network gets it from the modem', async () => {
    const { startBench } = await import('../../../host/bench/bench.js');
    const { parseTransport } = await import('../../../host/bench/transport.js');
    const role = (name: string, text: string): Parameters<typeof startBench>[0]['roles'][number] => ({
      role: name,
      transport: parseTransport(text),
      transportText: text,
      capture: false,
    });
    const tag = `${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    // The far side: a phone whose modem is the gateway, and that network's SMSC with an ESME bound.
    const far = await startBench(
      {
        name: `far-${tag}`,
        clock: 'wall',
        controlPort: 0,
        roles: [role('gateway', 'emu:phone/seed001'), role('smsc', 'emu:smsc/far?systemId=far&password=far')],
      },
      { register: false },
    );
    cleanups.push(async () => {
      await far.close();
      rmSync(far.runtimeDir, { recursive: true, force: true });
    });
    const farSmsc = far.devices.get('smsc')!.state() as { port: number };
    const receiver = await Esme.connect(farSmsc.port);
    cleanups.push(() => receiver.close());
    expect((await receiver.call('bind_receiver', { system_id: 'far', password: 'far' })).command_status).toBe(
      0,
    );
    const gatewayPath = far.devices.get('gateway')!.summary().endpoint.path!;
    // Our side: the SMSC routes +4917… through the gateway modem.
    const near = await startBench(
      {
        name: `near-${tag}`,
        clock: 'wall',
        controlPort: 0,
        roles: [
          role(
            'smsc',
            `emu:smsc/near?routePrefix=${encodeURIComponent('+4917')}&routeModem=${encodeURIComponent(gatewayPath)}&routePin=1234`,
          ),
        ],
      },
      { register: false },
    );
    cleanups.push(async () => {
      await near.close();
      rmSync(near.runtimeDir, { recursive: true, force: true });
    });
    const nearSmsc = near.devices.get('smsc')!;
    const esme = await Esme.connect((nearSmsc.state() as { port: number }).port);
    cleanups.push(() => esme.close());
    expect(
      (await esme.call('bind_transmitter', { system_id: 'benchtwin', password: 'benchtwn' })).command_status,
    ).toBe(0);
    // The gateway phone registers on its network a moment after its PIN: the route's retries cover that.
    const r = await esme.call('submit_sm', {
      source_addr: 'Shop',
      source_addr_ton: 5,
      dest_addr_ton: 1,
      destination_addr: '4917000001',
      data_coding: 0,
      short_message: Buffer.from(encodeGsm7('routed through a modem')),
    });
    expect(r.command_status).toBe(0);
    await waitFor('the deliver_sm on the far network', () => receiver.received.length === 1);
    const got = receiver.received[0]!;
    expect(got.source_addr).toBe('447700900123');
    expect(got.destination_addr).toBe('4917000001');
    // The modem's +CMGS answer may come after the far SMSC has already passed the message on.
    await waitFor('the route to count it sent', () => {
      const route = (nearSmsc.state() as { route?: { sent: number } }).route;
      return route?.sent === 1;
    });
    expect(nearSmsc.state()).toMatchObject({ route: { prefix: '+4917', modem: gatewayPath, sent: 1 } });
  });
});
