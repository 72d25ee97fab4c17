/**
 * The SMSC against the smpp package's client side (an independent SMPP implementation), raw sockets for
 * malformed PDUs, and phones on the simulated network. SQLite on disk throughout.
 */
import net from 'node:net';
import { once } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../firmware-sim/clock.js';
import {
  SmsReassembler,
  decodeTpdu,
  encodeGsm7,
  encodeSiPush,
  encodeTpdu,
  parseAddress,
  siFromMessage,
  smsSubmitsForText,
  type SmsDeliver,
} from '../../../firmware-sim/phone/sms/index.js';
import { DeduplicatingInbox, SimulatedNetwork } from '../../../services/smsc/network.js';
import { Smsc } from '../../../services/smsc/smsc.js';
import { ESME } from '../../../services/smsc/submit-sm.js';
import { Esme, tempDb, waitFor } from './helpers.js';

const ACCOUNTS = [
  { systemId: 'shop', password: 'secret' },
  { systemId: 'bank', password: 'vault' },
];
const PHONE = '+4917000001';

function delivers(tpdus: Uint8Array[]): SmsDeliver[] {
  return tpdus.map((t) => {
    const d = decodeTpdu(t, 'sc-to-ms');
    if (!d.ok || d.value.type !== 'SMS-DELIVER') throw new Error('not an SMS-DELIVER');
    return d.value;
  });
}

describe('SMSC over SMPP 3.4', () => {
  let db: ReturnType<typeof tempDb>;
  let network: SimulatedNetwork;
  let smsc: Smsc;
  let port: number;
  let inbox: DeduplicatingInbox;
  const esmes: Esme[] = [];

  beforeEach(async () => {
    db = tempDb();
    network = new SimulatedNetwork();
    inbox = new DeduplicatingInbox();
    network.register(PHONE, inbox.handler);
    smsc = new Smsc({ dbFile: db.file, clock: new VirtualClock(), network, accounts: ACCOUNTS });
    port = await smsc.listen(0);
  });
  afterEach(async () => {
    for (const e of esmes.splice(0)) e.close();
    await smsc.close();
    db.remove();
  });
  const connect = async (): Promise<Esme> => {
    const e = await Esme.connect(port);
    esmes.push(e);
    return e;
  };

  it('§4.1 binds as transmitter, receiver and transceiver; wrong password, unknown system id, double bind', async () => {
    for (const command of ['bind_transmitter', 'bind_receiver', 'bind_transceiver']) {
      const e = await connect();
      expect((await e.call(command, { system_id: 'shop', password: 'secret' })).command_status).toBe(
        ESME.ROK,
      );
      expect((await e.call(command, { system_id: 'shop', password: 'secret' })).command_status).toBe(
        ESME.RALYBND,
      );
    }
    const e = await connect();
    expect((await e.call('bind_transceiver', { system_id: 'shop', password: 'nope' })).command_status).toBe(
      ESME.RINVPASWD,
    );
    expect((await e.call('bind_transceiver', { system_id: 'ghost', password: 'x' })).command_status).toBe(
      ESME.RINVSYSID,
    );
    expect(
      (await e.call('submit_sm', { destination_addr: '4917000001', short_message: 'x' })).command_status,
    ).toBe(ESME.RINVBNDSTS);
    const rx = await connect();
    await rx.call('bind_receiver', { system_id: 'bank', password: 'vault' });
    expect(
      (await rx.call('submit_sm', { destination_addr: '4917000001', short_message: 'x' })).command_status,
    ).toBe(ESME.RINVBNDSTS);
  });

  it('§4.4 submit_sm → SMS-DELIVER to the phone, then a delivery receipt (Appendix B) as deliver_sm', async () => {
    const e = await connect();
    await e.call('bind_transceiver', { system_id: 'shop', password: 'secret' });
    const resp = await e.call('submit_sm', {
      source_addr_ton: 5,
      source_addr: 'Shop',
      dest_addr_ton: 1,
      dest_addr_npi: 1,
      destination_addr: '4917000001',
      registered_delivery: 1,
      data_coding: 0,
      short_message: Buffer.from(encodeGsm7('Pay {5€} now')),
    });
    expect(resp.command_status).toBe(ESME.ROK);
    const id = resp.message_id as string;
    await waitFor('the phone', () => inbox.messages.has(id));
    const [d] = delivers(inbox.messages.get(id)!);
    expect(d).toMatchObject({
      originator: { ton: 5, value: 'Shop' },
      dcs: 0,
      userData: { text: 'Pay {5€} now' },
    });
    await waitFor('the receipt', () => e.received.length > 0);
    const receipt = e.received[0]!;
    expect(receipt.esm_class).toBe(0x04);
    expect(receipt.receipted_message_id).toBe(id);
    expect(receipt.source_addr).toBe('4917000001');
    const text = (receipt.short_message as { message: string }).message;
    expect(text).toMatch(
      new RegExp(
        `^id:${id} sub:001 dlvrd:001 submit date:\\d{10} done date:\\d{10} stat:DELIVRD err:000 text:`,
      ),
    );
  });

  it('message_payload of 300 characters in UCS2 reaches the phone as concatenated parts', async () => {
    const e = await connect();
    await e.call('bind_transmitter', { system_id: 'shop', password: 'secret' });
    const text = 'Оплата заказа 😀 '.repeat(18);
    const resp = await e.call('submit_sm', {
      source_addr: '4930999',
      dest_addr_ton: 1,
      destination_addr: '4917000001',
      data_coding: 8,
      message_payload: Buffer.from(text, 'utf16le').swap16(),
    });
    expect(resp.command_status).toBe(ESME.ROK);
    const id = resp.message_id as string;
    await waitFor('the phone', () => inbox.messages.has(id));
    const parts = delivers(inbox.messages.get(id)!);
    expect(parts.length).toBeGreaterThan(1);
    const r = new SmsReassembler();
    const outcomes = [...parts].reverse().map((p) => r.add('smsc', p.userData));
    expect(outcomes.at(-1)).toMatchObject({ status: 'complete', message: { text } });
  });

  it('a WAP Push SI in message_payload with port TLVs 9200 → 2948 reaches the phone as 8-bit parts with a port header', async () => {
    const e = await connect();
    await e.call('bind_transmitter', { system_id: 'shop', password: 'secret' });
    const si = {
      href: 'https://pay.example/i/seed-000',
      siId: 'seed-000',
      action: 'signal-high' as const,
      text: 'Tap to pay the order placed at the counter. '.repeat(4),
    };
    const resp = await e.call('submit_sm', {
      source_addr: '4930999',
      dest_addr_ton: 1,
      destination_addr: '4917000001',
      data_coding: 4,
      source_port: 9200,
      dest_port: 2948,
      message_payload: Buffer.from(encodeSiPush(si, 0x21)),
    });
    expect(resp.command_status).toBe(ESME.ROK);
    const id = resp.message_id as string;
    await waitFor('the phone', () => inbox.messages.has(id));
    const parts = delivers(inbox.messages.get(id)!);
    expect(parts.length).toBe(2);
    expect(parts.every((p) => p.dcs === 4)).toBe(true);
    const r = new SmsReassembler();
    const done = parts.map((p) => r.add('+4930999', p.userData)).at(-1);
    if (done?.status !== 'complete') throw new Error('not reassembled');
    expect(done.message.ports).toEqual({ destination: 2948, source: 9200 });
    expect(siFromMessage(done.message)).toMatchObject({
      ok: true,
      value: { si, push: { transactionId: 0x21 } },
    });
  });

  it('a mobile-originated SMS-SUBMIT reaches a bound receiver as deliver_sm', async () => {
    const rx = await connect();
    await rx.call('bind_receiver', { system_id: 'bank', password: 'vault' });
    const [submit] = smsSubmitsForText({
      destination: parseAddress('+4930123'),
      messageReference: 3,
      reference: 0,
      text: 'PIN 1234',
    });
    const outcome = await network.submitFromPhone(PHONE, encodeTpdu(submit!));
    expect(outcome.ok).toBe(true);
    await waitFor('deliver_sm', () => rx.received.length > 0);
    expect(rx.received[0]).toMatchObject({
      source_addr: '4917000001',
      destination_addr: '4930123',
      data_coding: 0,
    });
    expect((rx.received[0]!.short_message as { message: string }).message).toBe('PIN 1234');
    expect(await network.submitFromPhone(PHONE, Uint8Array.of(0x03))).toMatchObject({ ok: false });
  });

  it("TP-SRR on a phone's SMS-SUBMIT: once the ESME takes the deliver_sm, the phone gets an SMS-STATUS-REPORT", async () => {
    const rx = await connect();
    await rx.call('bind_receiver', { system_id: 'bank', password: 'vault' });
    const [submit] = smsSubmitsForText({
      destination: parseAddress('+4930123'),
      messageReference: 42,
      reference: 0,
      text: 'report please',
      statusReportRequest: true,
    });
    expect((await network.submitFromPhone(PHONE, encodeTpdu(submit!))).ok).toBe(true);
    await waitFor('the status report', () => inbox.messages.size === 1);
    const [tpdu] = [...inbox.messages.values()][0]!;
    expect(decodeTpdu(tpdu!, 'sc-to-ms')).toMatchObject({
      ok: true,
      value: { type: 'SMS-STATUS-REPORT', messageReference: 42, recipient: { value: '4930123' }, status: 0 },
    });
  });

  it('§5.2.7 address_range routes mobile-originated messages to the ESME whose range matches the destination', async () => {
    const shop = await connect();
    await shop.call('bind_receiver', { system_id: 'shop', password: 'secret', address_range: '4930[0-9]*' });
    const bank = await connect();
    await bank.call('bind_receiver', { system_id: 'bank', password: 'vault', address_range: '4940[0-9]*' });
    const bad = await connect();
    expect(
      (await bad.call('bind_receiver', { system_id: 'bank', password: 'vault', address_range: '(' }))
        .command_status,
    ).toBe(ESME.RBINDFAIL);
    for (const [to, text] of [
      ['+4940111', 'to the bank'],
      ['+4930222', 'to the shop'],
    ] as const) {
      const [submit] = smsSubmitsForText({
        destination: parseAddress(to),
        messageReference: 1,
        reference: 0,
        text,
      });
      expect((await network.submitFromPhone(PHONE, encodeTpdu(submit!))).ok).toBe(true);
    }
    await waitFor('both deliver_sm', () => shop.received.length + bank.received.length === 2);
    expect(shop.received.map((p) => p.destination_addr)).toEqual(['4930222']);
    expect(bank.received.map((p) => p.destination_addr)).toEqual(['4940111']);
  });

  it('§4.11 enquire_link and §4.2 unbind', async () => {
    const e = await connect();
    expect((await e.call('enquire_link')).command).toBe('enquire_link_resp');
    await e.call('bind_transceiver', { system_id: 'shop', password: 'secret' });
    const resp = await e.call('unbind');
    expect([resp.command, resp.command_status]).toEqual(['unbind_resp', ESME.ROK]);
    await waitFor('the close', () => e.closed);
  });

  it('raw sockets: unknown command id → generic_nack 0x03; bad sm_length → 0x01; bad command_length → generic_nack 0x02 and close; server stays up', async () => {
    const raw = net.connect(port, '127.0.0.1');
    await once(raw, 'connect');
    const rawClosed = once(raw, 'close');
    const replies: Buffer[] = [];
    let buffered = Buffer.alloc(0);
    raw.on('data', (c: Buffer) => {
      buffered = Buffer.concat([buffered, c]);
      while (buffered.length >= 16 && buffered.length >= buffered.readUInt32BE(0)) {
        replies.push(buffered.subarray(0, buffered.readUInt32BE(0)));
        buffered = buffered.subarray(buffered.readUInt32BE(0));
      }
    });
    const header = (length: number, id: number, seq: number): Buffer => {
      const b = Buffer.alloc(16);
      b.writeUInt32BE(length, 0);
      b.writeUInt32BE(id, 4);
      b.writeUInt32BE(seq, 12);
      return b;
    };
    raw.write(header(16, 0x00000999, 7));
    await waitFor('generic_nack', () => replies.length === 1);
    expect([replies[0]!.readUInt32BE(4), replies[0]!.readUInt32BE(8), replies[0]!.readUInt32BE(12)]).toEqual([
      0x80000000,
      ESME.RINVCMDID,
      7,
    ]);

    const bindBody = Buffer.from('shop\0secret\0\0\x34\x00\x00\0', 'latin1');
    raw.write(Buffer.concat([header(16 + bindBody.length, 0x00000002, 8), bindBody]));
    await waitFor('bind_transmitter_resp', () => replies.length === 2);
    expect([replies[1]!.readUInt32BE(4), replies[1]!.readUInt32BE(8)]).toEqual([0x80000002, ESME.ROK]);

    // submit_sm whose sm_length (200) runs past the end of the PDU.
    const submitBody = Buffer.concat([
      Buffer.from('\0\x01\x01491\0\x01\x01491\0\0\0\0\0\0\0\0\0\0', 'latin1'),
      Buffer.from([200, 0x41]),
    ]);
    raw.write(Buffer.concat([header(16 + submitBody.length, 0x00000004, 9), submitBody]));
    await waitFor('submit_sm_resp', () => replies.length === 3);
    expect([replies[2]!.readUInt32BE(4), replies[2]!.readUInt32BE(8)]).toEqual([0x80000004, ESME.RINVMSGLEN]);

    raw.write(header(8, 0x00000015, 10).subarray(0, 8));
    await waitFor('generic_nack for length 8', () => replies.length === 4);
    expect([replies[3]!.readUInt32BE(4), replies[3]!.readUInt32BE(8)]).toEqual([0x80000000, ESME.RINVCMDLEN]);
    await rawClosed;

    const huge = net.connect(port, '127.0.0.1');
    await once(huge, 'connect');
    huge.write(header(0x7fffffff, 0x00000015, 11));
    const [nack] = (await once(huge, 'data')) as [Buffer];
    expect(nack.readUInt32BE(8)).toBe(ESME.RINVCMDLEN);

    const e = await connect();
    expect((await e.call('bind_transceiver', { system_id: 'shop', password: 'secret' })).command_status).toBe(
      ESME.ROK,
    );
  });
});

describe('SMSC retries on the virtual clock', () => {
  it('a phone that refuses twice gets the message on the third attempt, after 1 s and 2 s of clock time', async () => {
    const db = tempDb();
    const clock = new VirtualClock();
    const network = new SimulatedNetwork();
    const attemptsAt: number[] = [];
    network.register(PHONE, async () => {
      attemptsAt.push(clock.now());
      if (attemptsAt.length < 3) throw new Error('memory capacity exceeded');
    });
    const smsc = new Smsc({
      dbFile: db.file,
      clock,
      network,
      accounts: ACCOUNTS,
      retryDelaysMs: [1000, 2000],
    });
    const e = await Esme.connect(await smsc.listen(0));
    try {
      await e.call('bind_transceiver', { system_id: 'shop', password: 'secret' });
      const resp = await e.call('submit_sm', {
        source_addr: '4930999',
        dest_addr_ton: 1,
        destination_addr: '4917000001',
        registered_delivery: 1,
        short_message: Buffer.from(encodeGsm7('retry me')),
      });
      await waitFor('attempt 1 and its retry timer', () => attemptsAt.length === 1 && clock.pending === 1);
      clock.advance(999);
      await new Promise((r) => setTimeout(r, 20));
      expect(attemptsAt).toHaveLength(1);
      clock.advance(1);
      await waitFor('attempt 2 and its retry timer', () => attemptsAt.length === 2 && clock.pending === 1);
      clock.advance(2000);
      await waitFor('attempt 3', () => attemptsAt.length === 3);
      expect(attemptsAt).toEqual([0, 1000, 3000]);
      await waitFor('the receipt', () => e.received.length === 1);
      expect(e.received[0]!.receipted_message_id).toBe(resp.message_id);
      expect(smsc.store.counts()).toEqual({ delivered: 1 });
    } finally {
      e.close();
      await smsc.close();
      db.remove();
    }
  });

  it('a retry timer that fires a fraction of a millisecond early (as Node timers do) still retries', async () => {
    /** Runs every timer half a millisecond before it is due: the clock then reads just short of it. */
    class EarlyClock extends VirtualClock {
      override setTimeout(fn: () => void, ms: number): ReturnType<VirtualClock['setTimeout']> {
        return super.setTimeout(fn, Math.max(0, ms - 0.5));
      }
    }
    const db = tempDb();
    const clock = new EarlyClock();
    const network = new SimulatedNetwork();
    let attempts = 0;
    network.register(PHONE, async () => {
      attempts++;
      if (attempts < 2) throw new Error('not registered yet');
    });
    const smsc = new Smsc({ dbFile: db.file, clock, network, accounts: ACCOUNTS, retryDelaysMs: [1000] });
    const e = await Esme.connect(await smsc.listen(0));
    try {
      await e.call('bind_transceiver', { system_id: 'shop', password: 'secret' });
      await e.call('submit_sm', {
        source_addr: '4930999',
        dest_addr_ton: 1,
        destination_addr: '4917000001',
        short_message: Buffer.from(encodeGsm7('early timer')),
      });
      await waitFor('attempt 1 and its retry timer', () => attempts === 1 && clock.pending === 1);
      // The timer runs at 999.5 ms, when the message is not due yet; the SMSC must wait out the rest.
      clock.advance(999.5);
      await waitFor('the re-armed timer', () => clock.pending === 1);
      clock.advance(1);
      await waitFor('attempt 2', () => attempts === 2);
      await waitFor('delivered', () => smsc.store.counts()['delivered'] === 1);
    } finally {
      e.close();
      await smsc.close();
      db.remove();
    }
  });

  it('an absent phone: the message fails after maxAttempts and the receipt says UNDELIV', async () => {
    const db = tempDb();
    const clock = new VirtualClock();
    const smsc = new Smsc({
      dbFile: db.file,
      clock,
      network: new SimulatedNetwork(),
      accounts: ACCOUNTS,
      retryDelaysMs: [500],
      maxAttempts: 2,
    });
    const e = await Esme.connect(await smsc.listen(0));
    try {
      await e.call('bind_transceiver', { system_id: 'shop', password: 'secret' });
      await e.call('submit_sm', {
        source_addr: '4930999',
        dest_addr_ton: 1,
        destination_addr: '4917999999',
        registered_delivery: 1,
        short_message: Buffer.from(encodeGsm7('nobody home')),
      });
      await waitFor('the retry timer', () => clock.pending === 1);
      clock.advance(500);
      await waitFor('the receipt', () => e.received.length === 1);
      expect((e.received[0]!.short_message as { message: string }).message).toMatch(
        /dlvrd:000 .* stat:UNDELIV /,
      );
      expect(e.received[0]!.message_state).toBe(5);
      expect(smsc.store.counts()).toEqual({ failed: 1 });
    } finally {
      e.close();
      await smsc.close();
      db.remove();
    }
  });
});
