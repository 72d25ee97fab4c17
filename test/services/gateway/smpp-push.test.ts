/**
 * The gateway's WAP Push over SMPP against the real SMSC of services/smsc: bind_transmitter, submit_sm with
 * UDHI and the port header 9200 → 2948 (WAP-259-WDP), 8-bit data; on the phone's side the SMS-DELIVER parts
 * are decoded and reassembled with the handset's SMS codec and carry the Service Indication.
 */
import fs from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../firmware-sim/clock.js';
import {
  decodeTpdu,
  siFromMessage,
  SmsReassembler,
  type ReassembledMessage,
  type SmsDeliver,
} from '../../../firmware-sim/phone/sms/index.js';
import { SmppPushError, SmppPushSender } from '../../../services/gateway/smpp-push.js';
import { SimulatedNetwork } from '../../../services/smsc/network.js';
import { Smsc } from '../../../services/smsc/smsc.js';
import { ESME } from '../../../services/smsc/submit-sm.js';
import { makeTls, tempDir, waitFor, type TlsMaterial } from './helpers.js';
import { createTransaction, openGateway } from './harness.js';

const PHONE = '+447700900123';
const ACCOUNT = { systemId: 'gateway', password: 'pushpw' };

/** The phone's side: each SMS-DELIVER part decoded, reassembled as the handset does. */
class PhoneInbox {
  readonly parts: SmsDeliver[] = [];
  readonly messages: ReassembledMessage[] = [];
  private readonly reassembler = new SmsReassembler();
  readonly handler = async ({ tpdus }: { tpdus: Uint8Array[] }): Promise<void> => {
    for (const t of tpdus) {
      const d = decodeTpdu(t, 'sc-to-ms');
      if (!d.ok || d.value.type !== 'SMS-DELIVER') throw new Error('not an SMS-DELIVER');
      this.parts.push(d.value);
      const r = this.reassembler.add(d.value.originator.value, d.value.userData);
      if (r.status === 'complete') this.messages.push(r.message);
    }
  };
}

let db: ReturnType<typeof tempDir>;
let smsc: Smsc;
let port: number;
let phone: PhoneInbox;
let sender: SmppPushSender | undefined;

beforeEach(async () => {
  db = tempDir();
  const network = new SimulatedNetwork();
  phone = new PhoneInbox();
  network.register(PHONE, phone.handler);
  smsc = new Smsc({ dbFile: db.file, clock: new VirtualClock(), network, accounts: [ACCOUNT] });
  port = await smsc.listen(0);
});
afterEach(async () => {
  await sender?.close();
  sender = undefined;
  await smsc.close();
  db.remove();
});

describe('WAP Push over SMPP to the real SMSC', () => {
  it('one push: an 8-bit SMS-DELIVER with UDH 06 05 04 0B84 23F0 whose SI names the mailbox', async () => {
    sender = new SmppPushSender({ port, ...ACCOUNT });
    const href = 'https://gateway.benchtwin.test/mail/v1/mailboxes/1234567/messages';
    await sender.sendWapPush({ msisdn: PHONE, href, text: 'Payment request', siId: '100001-ab' });
    await waitFor('the phone', () => phone.messages.length === 1);
    const part = phone.parts[0]!;
    expect(part.dcs).toBe(0x04);
    expect(part.originator).toMatchObject({ ton: 5, value: 'BTPAY' });
    expect(part.userData.header).toEqual([{ kind: 'ports', portBits: 16, destination: 2948, source: 9200 }]);
    const si = siFromMessage(phone.messages[0]!);
    expect(si).toMatchObject({
      ok: true,
      value: { si: { href, text: 'Payment request', siId: '100001-ab', action: 'signal-medium' } },
    });
  });

  it('a long push goes as concatenated parts the phone reassembles; the session is reused for the next push', async () => {
    sender = new SmppPushSender({ port, ...ACCOUNT, source: '+447700900000' });
    const text = 'Please confirm the payment of order 100002 at merchant A. '.repeat(4);
    const href = 'https://gateway.benchtwin.test/mail/v1/mailboxes/1234567/messages';
    await sender.sendWapPush({ msisdn: PHONE, href, text });
    await sender.sendWapPush({ msisdn: PHONE, href, text: 'Payment request' });
    await waitFor('the phone', () => phone.messages.length === 2);
    expect(phone.parts.length).toBeGreaterThan(2);
    expect(phone.parts[0]!.originator).toMatchObject({ ton: 1, value: '447700900000' });
    expect(siFromMessage(phone.messages[0]!)).toMatchObject({ ok: true, value: { si: { href, text } } });
    expect(siFromMessage(phone.messages[1]!)).toMatchObject({
      ok: true,
      value: { si: { text: 'Payment request' } },
    });
  });

  it('a wrong password: the push rejects with ESME_RINVPASWD; an SMSC that is gone: rejects', async () => {
    sender = new SmppPushSender({ port, systemId: 'gateway', password: 'nope' });
    await expect(
      sender.sendWapPush({ msisdn: PHONE, href: 'https://x.test/', text: 'x' }),
    ).rejects.toMatchObject({
      commandStatus: ESME.RINVPASWD,
    });
    await expect(
      sender.sendWapPush({ msisdn: PHONE, href: 'https://x.test/', text: 'x' }),
    ).rejects.toBeInstanceOf(SmppPushError);
    await sender.close();
    sender = new SmppPushSender({ port, ...ACCOUNT });
    await smsc.close();
    await expect(sender.sendWapPush({ msisdn: PHONE, href: 'https://x.test/', text: 'x' })).rejects.toThrow();
  });
});

describe('gateway with the SMPP push (stand-in credit server)', () => {
  let tls: TlsMaterial;
  beforeAll(() => {
    tls = makeTls();
  });
  afterAll(() => fs.rmSync(tls.dir, { recursive: true, force: true }));

  it("a new transaction reaches user 00001's phone as a WAP Push SI linking to its mailbox", async () => {
    const gdb = tempDir();
    sender = new SmppPushSender({ port, ...ACCOUNT });
    const h = await openGateway({ dbFile: gdb.file, tls, pushSender: sender });
    try {
      await createTransaction(h, '00001');
      await waitFor('the phone', () => phone.messages.length === 1);
      const si = siFromMessage(phone.messages[0]!);
      if (!si.ok) throw new Error(si.error.reason);
      expect(si.value.si.href).toBe('https://gateway.benchtwin.test/mail/v1/mailboxes/1234567/messages');
      const box = await h.client.get('/mail/v1/mailboxes/1234567/messages');
      expect(si.value.si.siId).toBe(box.json.messages[0].messageId);
    } finally {
      await h.gw.close();
      gdb.remove();
    }
  });
});
