import { afterEach, describe, expect, it } from 'vitest';
import { VirtualController } from '../../../devices/ble/controller.js';
import { encodeCommand } from '../../../devices/ble/hci/packets.js';
import { unregisterVirtualController } from '../../../devices/ble/seam/registry.js';
import { mulberry32 } from '../../../devices/serial/faults.js';
import { startBleBench, type BleBench } from './bench.js';
import { RawHost } from './raw-host.js';

let bench: BleBench | undefined;
afterEach(async () => {
  await bench?.close();
  bench = undefined;
});

const ATT_CID = 0x0004;
const ATT_ERROR_RSP = 0x01;
/** ATT requests (Vol 3 Part F 3.4) and the opcode of their response. */
const REQUESTS = [0x02, 0x04, 0x06, 0x08, 0x0a, 0x0c, 0x0e, 0x10, 0x12, 0x16, 0x18];

/** A raw central on a third controller, connected to the bench's phone (bleno's GATT server). */
async function rawCentral(b: BleBench) {
  const controller = new VirtualController({
    air: b.air,
    address: '5a:00:00:00:00:99',
    position: { x: 0, y: 1 },
  });
  const host = new RawHost(controller);
  host.write(encodeCommand({ name: 'SetEventMask', eventMask: Buffer.from('fffffbff07f8bf3d', 'hex') }));
  host.write(
    encodeCommand({
      name: 'LeCreateConnection',
      leScanInterval: 0x60,
      leScanWindow: 0x30,
      initiatorFilterPolicy: 0,
      peerAddressType: 0,
      peerAddress: b.phone.address,
      ownAddressType: 0,
      connectionIntervalMin: 0x18,
      connectionIntervalMax: 0x18,
      maxLatency: 0,
      supervisionTimeout: 0x48,
      minCeLength: 0,
      maxCeLength: 0,
    }),
  );
  const events = await host.eventCount(3);
  const complete = events[2];
  if (complete?.name !== 'LeConnectionComplete' || complete.status !== 0)
    throw new Error('no connection to the phone');
  const handle = complete.connectionHandle;
  /** Send one ATT (or other L2CAP channel's) PDU and wait for the next PDU from the phone. */
  const request = async (pdu: Buffer, cid = ATT_CID): Promise<Buffer> => {
    const before = host.acl.length;
    const l2cap = Buffer.alloc(4);
    l2cap.writeUInt16LE(pdu.length, 0);
    l2cap.writeUInt16LE(cid, 2);
    const data = Buffer.concat([l2cap, pdu]);
    // Fragment to the controller's 27-octet buffers as a host must.
    for (let at = 0; at < data.length; at += controller.aclBufferLength) {
      const frag = data.subarray(at, at + controller.aclBufferLength);
      const head = Buffer.alloc(5);
      head[0] = 0x02;
      head.writeUInt16LE(handle | ((at === 0 ? 0b00 : 0b01) << 12), 1);
      head.writeUInt16LE(frag.length, 3);
      host.write(Buffer.concat([head, frag]));
    }
    await host.aclCount(before + 1);
    const rsp = host.acl[before]!;
    expect(rsp.readUInt16LE(7)).toBe(cid);
    return rsp.subarray(9);
  };
  return { controller, host, request };
}

describe('bleno GATT server over the virtual controller: bad ATT requests', () => {
  it('a read of an unknown handle gets ATT Error Response 0x01 Invalid Handle (Vol 3 Part F 3.4.4.3)', async () => {
    bench = await startBleBench();
    const { controller, request } = await rawCentral(bench);
    const rsp = await request(Buffer.from([0x0a, 0xee, 0xee]));
    expect(rsp).toEqual(Buffer.from([ATT_ERROR_RSP, 0x0a, 0xee, 0xee, 0x01]));
    unregisterVirtualController(controller);
  });

  it('a Read Request without its handle gets Error Response 0x04 Invalid PDU from the seam guard (bleno would throw)', async () => {
    bench = await startBleBench();
    const { controller, request } = await rawCentral(bench);
    expect(await request(Buffer.from([0x0a]))).toEqual(Buffer.from([ATT_ERROR_RSP, 0x0a, 0x00, 0x00, 0x04]));
    // Find By Type Value with an empty value: Attribute Not Found (bleno would throw on it as well).
    expect(await request(Buffer.from([0x06, 0x01, 0x00, 0xff, 0xff, 0x00, 0x28]))).toEqual(
      Buffer.from([ATT_ERROR_RSP, 0x06, 0x01, 0x00, 0x0a]),
    );
    // The server still works afterwards.
    expect((await request(Buffer.from([0x02, 0x17, 0x00])))[0]).toBe(0x03);
    unregisterVirtualController(controller);
  });

  it('fuzz: 2000 random ATT requests each get their response or an Error Response naming the request', async () => {
    bench = await startBleBench();
    const { controller, request } = await rawCentral(bench);
    const rand = mulberry32(0xa77);
    const byte = () => Math.floor(rand() * 256);
    let errors = 0;
    for (let i = 0; i < 2000; i++) {
      const opcode = REQUESTS[Math.floor(rand() * REQUESTS.length)]!;
      // Handles mostly near the service's (1..20) so that real attributes are hit too; lengths anything.
      const params = Buffer.from(
        Array.from({ length: Math.floor(rand() * 22) }, () => (rand() < 0.5 ? byte() % 24 : byte())),
      );
      const rsp = await request(Buffer.concat([Buffer.from([opcode]), params]));
      if (rsp[0] === ATT_ERROR_RSP) {
        errors++;
        expect(rsp).toHaveLength(5);
        expect(rsp[1]).toBe(opcode);
      } else expect(rsp[0]).toBe(opcode + 1);
    }
    expect(errors).toBeGreaterThan(0);
    const socket = (
      bench.bleno as unknown as {
        _bindings: { _hci: { _socket: { guardStats?: { invalidPdu: number } } } };
      }
    )._bindings._hci._socket;
    expect(socket.guardStats?.invalidPdu).toBeGreaterThan(0);
    unregisterVirtualController(controller);
  });
});

describe('bleno SMP over the virtual controller: unexpected messages', () => {
  const SMP = 0x0006;
  it('get Pairing Failed (Vol 3 Part H 3.5.5): out of sequence 0x08, wrong length 0x0A, not for a responder 0x07', async () => {
    bench = await startBleBench();
    const { controller, request } = await rawCentral(bench);
    // Pairing Confirm before any Pairing Request (bleno would throw on it).
    expect(await request(Buffer.concat([Buffer.from([0x03]), Buffer.alloc(16)]), SMP)).toEqual(
      Buffer.from([0x05, 0x08]),
    );
    expect(await request(Buffer.from([0x01, 0x03, 0x00]), SMP)).toEqual(Buffer.from([0x05, 0x0a]));
    // Security Request is sent by peripherals, never to them.
    expect(await request(Buffer.from([0x0b, 0x01]), SMP)).toEqual(Buffer.from([0x05, 0x07]));
    // A well-formed Pairing Request still gets bleno's own Pairing Response.
    const rsp = await request(Buffer.from([0x01, 0x03, 0x00, 0x01, 0x10, 0x00, 0x01]), SMP);
    expect(rsp[0]).toBe(0x02);
    unregisterVirtualController(controller);
  });
});
