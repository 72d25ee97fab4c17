/**
 * submit_sm bodies: PDUs encoded by the smpp package (an independent SMPP encoder) read field by field,
 * arbitrary and mutated bytes answered with an SMPP 3.4 status, never an exception; and a seeded fuzz run
 * of mutated PDUs against a running SMSC, which must answer or close each connection and stay up.
 */
import fc from 'fast-check';
import net from 'node:net';
import { once } from 'node:events';
import smpp from 'smpp';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../firmware-sim/clock.js';
import { mulberry32 } from '../../../devices/serial/faults.js';
import { SimulatedNetwork } from '../../../services/smsc/network.js';
import { Smsc } from '../../../services/smsc/smsc.js';
import { ESME, parseSubmitSm } from '../../../services/smsc/submit-sm.js';
import { Esme, tempDb } from './helpers.js';

const encoded = (options: Record<string, unknown>): Buffer => {
  const pdu = new smpp.PDU('submit_sm', { sequence_number: 42, ...options });
  return pdu.toBuffer();
};

const GOLDEN = encoded({
  service_type: 'CMT',
  source_addr_ton: 5,
  source_addr: 'Shop',
  dest_addr_ton: 1,
  dest_addr_npi: 1,
  destination_addr: '4917012345',
  esm_class: 0x40,
  registered_delivery: 1,
  data_coding: 4,
  short_message: Buffer.from('0605040b8423f0' + 'deadbeef', 'hex'),
  user_message_reference: 0x1234,
});

describe('submit_sm parsing (SMPP 3.4 §4.4.1)', () => {
  it('reads every field of a submit_sm the smpp package encoded', () => {
    const r = parseSubmitSm(GOLDEN);
    expect(r).toEqual({
      ok: true,
      value: {
        sequenceNumber: 42,
        serviceType: 'CMT',
        sourceTon: 5,
        sourceNpi: 0,
        source: 'Shop',
        destTon: 1,
        destNpi: 1,
        destination: '4917012345',
        esmClass: 0x40,
        protocolId: 0,
        registeredDelivery: 1,
        dataCoding: 4,
        message: Uint8Array.from(Buffer.from('0605040b8423f0deadbeef', 'hex')),
        userMessageReference: 0x1234,
      },
    });
  });

  it('message_payload, source_port and dest_port TLVs; short_message and message_payload together is ESME_RINVMSGLEN', () => {
    const r = parseSubmitSm(
      encoded({
        destination_addr: '1',
        message_payload: Buffer.from('abc'),
        source_port: 9200,
        dest_port: 2948,
      }),
    );
    expect(r).toMatchObject({
      ok: true,
      value: { message: Uint8Array.from(Buffer.from('abc')), sourcePort: 9200, destinationPort: 2948 },
    });
    const both = parseSubmitSm(
      encoded({
        destination_addr: '1',
        short_message: Buffer.from('x'),
        message_payload: Buffer.from('abc'),
      }),
    );
    expect(both).toMatchObject({ ok: false, status: ESME.RINVMSGLEN });
  });

  it('arbitrary bytes after a header: a result or an SMPP status, never an exception', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (body) => {
        const pdu = Buffer.concat([Buffer.alloc(16), body]);
        pdu.writeUInt32BE(pdu.length, 0);
        pdu.writeUInt32BE(4, 4);
        const r = parseSubmitSm(pdu);
        if (!r.ok) expect(Object.values(ESME)).toContain(r.status);
      }),
      { numRuns: 3000 },
    );
  });
});

function mutate(source: Uint8Array, random: () => number): Buffer {
  const bytes = [...source];
  const pick = (n: number): number => Math.floor(random() * n);
  for (let r = 1 + pick(3); r > 0; r--) {
    const at = pick(bytes.length);
    switch (pick(4)) {
      case 0:
        bytes[at] = bytes[at]! ^ (1 << pick(8));
        break;
      case 1:
        bytes[at] = pick(256);
        break;
      case 2:
        bytes.splice(at, 1);
        break;
      default:
        bytes.splice(at, 0, pick(256));
    }
  }
  return Buffer.from(bytes);
}

describe('SMSC fuzz', () => {
  it('300 connections with a bind and a mutated PDU each (seed 0x5a5c): each connection answered and closed, every answer a well-formed response, server up', async () => {
    const db = tempDb();
    const smsc = new Smsc({
      dbFile: db.file,
      clock: new VirtualClock(),
      network: new SimulatedNetwork(),
      accounts: [{ systemId: 'shop', password: 'secret' }],
    });
    const port = await smsc.listen(0);
    const random = mulberry32(0x5a5c);
    const bind = new smpp.PDU('bind_transceiver', {
      system_id: 'shop',
      password: 'secret',
      sequence_number: 1,
    }).toBuffer();
    const goldens = [GOLDEN, new smpp.PDU('enquire_link', { sequence_number: 2 }).toBuffer(), bind];
    let secondAnswers = 0;
    try {
      for (let i = 0; i < 300; i++) {
        const socket = net.connect(port, '127.0.0.1');
        await once(socket, 'connect');
        const got: Buffer[] = [];
        socket.on('data', (c: Buffer) => got.push(c));
        socket.on('error', () => {});
        const closed = once(socket, 'close');
        socket.write(bind);
        socket.write(mutate(goldens[i % goldens.length]!, random));
        // End of input: a PDU that promised more octets than it had is cut short here.
        socket.end();
        const timedOut = await Promise.race([
          closed.then(() => false),
          new Promise<boolean>((r) => setTimeout(() => r(true), 5000)),
        ]);
        expect(timedOut).toBe(false);
        const all = Buffer.concat(got);
        const responses: number[] = [];
        for (let at = 0; at + 16 <= all.length; at += all.readUInt32BE(at)) {
          expect(all.readUInt32BE(at)).toBeGreaterThanOrEqual(16);
          responses.push(all.readUInt32BE(at + 4));
        }
        expect(responses[0]).toBe(0x80000009); // bind_transceiver_resp
        expect(responses.every((id) => id >= 0x80000000)).toBe(true);
        if (responses.length > 1) secondAnswers++;
      }
      expect(secondAnswers).toBeGreaterThan(100);
      const e = await Esme.connect(port);
      expect(
        (await e.call('bind_transceiver', { system_id: 'shop', password: 'secret' })).command_status,
      ).toBe(ESME.ROK);
      expect((await e.call('enquire_link')).command_status).toBe(ESME.ROK);
      e.close();
    } finally {
      await smsc.close();
      db.remove();
    }
  }, 120_000);
});
