import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../devices/serial/faults.js';
import {
  HI,
  OP,
  ObexPacketReader,
  RSP,
  encodeObexRequest,
  encodeObexResponse,
  header,
  parseObexRequest,
  parseObexResponse,
  typeHeader,
  type ObexHeader,
  type ObexRequest,
  type ObexTransport,
} from '../../../devices/ir/obex/packet.js';
import { ObexServer } from '../../../devices/ir/obex/server.js';
import { ObexClient, ObexError } from '../../../devices/ir/obex/client.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('OBEX packets (IrOBEX 1.2 §3)', () => {
  it('Connect request, version 1.0, max packet 0x2000: 80 0007 10 00 2000 (§3.3.1 example)', () => {
    const req: ObexRequest = {
      opcode: OP.CONNECT,
      final: true,
      connect: { version: 0x10, flags: 0, maxPacketLength: 0x2000 },
      headers: [],
    };
    expect(hex(encodeObexRequest(req))).toBe('80000710002000');
    expect(parseObexRequest(Buffer.from('80000710002000', 'hex'))).toEqual({ ok: true, packet: req });
  });

  it('header encodings: Name as null-terminated UTF-16BE, Type as null-terminated ASCII, Length 4 bytes, Body bytes', () => {
    const bytes = encodeObexRequest({
      opcode: OP.PUT,
      final: true,
      headers: [
        { id: HI.NAME, value: 'a.txt' },
        typeHeader('text/plain'),
        { id: HI.LENGTH, value: 2 },
        { id: HI.END_OF_BODY, value: Uint8Array.from([0x68, 0x69]) },
      ],
    });
    expect(hex(bytes)).toBe(
      '82' +
        '002a' +
        '01000f' +
        '0061002e007400780074' +
        '0000' +
        '42000e' +
        hex(Buffer.from('text/plain\0')) +
        'c300000002' +
        '4900056869',
    );
  });

  it('a Connect response carries version, flags and size; Who and Connection-Id headers', () => {
    const rsp = {
      code: RSP.SUCCESS,
      connect: { version: 0x10, flags: 0, maxPacketLength: 255 },
      headers: [
        { id: HI.CONNECTION_ID, value: 7 },
        { id: HI.WHO, value: Uint8Array.from([1, 2]) },
      ],
    };
    const bytes = encodeObexResponse(rsp);
    expect(hex(bytes)).toBe('a0' + '0011' + '100000ff' + 'cb00000007' + '4a00050102');
    expect(parseObexResponse(bytes, true)).toEqual({ ok: true, packet: rsp });
  });

  it('malformed requests give Bad Request (0xC0), unknown opcodes Not Implemented (0xD1)', () => {
    expect(parseObexRequest(Uint8Array.from([0x82, 0x00, 0x04]))).toMatchObject({
      ok: false,
      code: RSP.BAD_REQUEST,
    });
    expect(parseObexRequest(Uint8Array.from([0x82, 0x00, 0x05, 0x01, 0x00]))).toMatchObject({
      ok: false,
      code: RSP.BAD_REQUEST,
    });
    expect(parseObexRequest(Uint8Array.from([0x86, 0x00, 0x03]))).toMatchObject({
      ok: false,
      code: RSP.NOT_IMPLEMENTED,
    });
    expect(parseObexRequest(Uint8Array.from([0x82, 0x00, 0x06, 0x01, 0x00, 0x04]))).toMatchObject({
      ok: false,
      code: RSP.BAD_REQUEST,
    }); // odd Unicode
  });

  it('property: requests round trip and the stream reader splits any chunking', () => {
    const hdr: fc.Arbitrary<ObexHeader> = fc.oneof(
      fc.record({
        id: fc.constantFrom(HI.NAME, HI.DESCRIPTION),
        value: fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !s.endsWith('\0')),
      }),
      fc.record({
        id: fc.constantFrom(HI.BODY, HI.TARGET, HI.WHO, HI.END_OF_BODY),
        value: fc.uint8Array({ maxLength: 100 }),
      }),
      fc.record({
        id: fc.constantFrom(HI.LENGTH, HI.CONNECTION_ID, HI.COUNT),
        value: fc.nat({ max: 0xffffffff }),
      }),
    );
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            opcode: fc.constantFrom(OP.PUT, OP.GET),
            final: fc.boolean(),
            headers: fc.array(hdr, { maxLength: 5 }),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        fc.integer({ min: 1, max: 50 }),
        (reqs, step) => {
          const wire = Buffer.concat(reqs.map(encodeObexRequest));
          const reader = new ObexPacketReader();
          const packets: Uint8Array[] = [];
          for (let at = 0; at < wire.length; at += step)
            packets.push(...reader.push(wire.subarray(at, at + step)));
          expect(packets.map((p) => parseObexRequest(p))).toEqual(reqs.map((r) => ({ ok: true, packet: r })));
        },
      ),
      { numRuns: 300 },
    );
  });
});

/** Client and server joined directly (the transport is an in-memory pipe). */
function joined(options: ConstructorParameters<typeof ObexServer>[0] = {}, maxPacketLength = 0x4000) {
  let toServer: (b: Uint8Array) => void = () => undefined;
  let toClient: (b: Uint8Array) => void = () => undefined;
  const serverSide: ObexTransport = {
    send: (b) => queueMicrotask(() => toClient(b)),
    setReceiver: (fn) => (toServer = fn),
  };
  const clientSide: ObexTransport = {
    send: (b) => queueMicrotask(() => toServer(b)),
    setReceiver: (fn) => (toClient = fn),
  };
  const server = new ObexServer(options);
  const session = server.attach(serverSide);
  const client = new ObexClient(clientSide, { maxPacketLength });
  return {
    server,
    session,
    client,
    raw: (b: Uint8Array) => toServer(b),
    replies: (fn: (b: Uint8Array) => void) => serverSide.setReceiver === undefined || (toClient = fn),
  };
}

describe('OBEX server and client', () => {
  it('Put and Get spanning many 255-byte packets', async () => {
    const j = joined({}, 255);
    await j.client.connect();
    expect(j.client.maxPacketLength).toBe(255);
    const body = Uint8Array.from({ length: 3000 }, (_, i) => (i * 7) & 0xff);
    await j.client.put('big.bin', body, { type: 'application/octet-stream' });
    expect(j.session.stats.requests).toBeGreaterThan(12);
    const got = await j.client.get({ name: 'big.bin' });
    expect(Buffer.from(got.body).equals(Buffer.from(body))).toBe(true);
    expect(got.type).toBe('application/octet-stream');
    expect(header(got.headers, HI.LENGTH)).toBe(3000);
  });

  it('Connect with a Target gets Who and a Connection-Id; a wrong Connection-Id is refused (0xD3)', async () => {
    const target = Uint8Array.from(Buffer.from('f9ec7bc4953c11d2984e525400dc9e09', 'hex'));
    const j = joined({ targets: [target] });
    const rsp = await j.client.connect({ target });
    expect(header(rsp.headers, HI.WHO)).toEqual(target);
    const cid = header(rsp.headers, HI.CONNECTION_ID) as number;
    const wrong = await j.client.request({
      opcode: OP.GET,
      final: true,
      headers: [
        { id: HI.CONNECTION_ID, value: cid + 1 },
        { id: HI.NAME, value: 'x' },
      ],
    });
    expect(wrong.code).toBe(RSP.SERVICE_UNAVAILABLE);
    const k = joined({ targets: [] });
    await expect(k.client.connect({ target })).rejects.toMatchObject({ code: RSP.SERVICE_UNAVAILABLE });
  });

  it('Abort in the middle of a Put discards the object; Put without body deletes', async () => {
    const j = joined({}, 255);
    await j.client.connect();
    const r1 = await j.client.request({
      opcode: OP.PUT,
      final: false,
      headers: [
        { id: HI.NAME, value: 'half' },
        { id: HI.BODY, value: new Uint8Array(100) },
      ],
    });
    expect(r1.code).toBe(RSP.CONTINUE);
    expect((await j.client.abort()).code).toBe(RSP.SUCCESS);
    expect(j.server.store.list()).toEqual([]);
    await j.client.put('x', Uint8Array.from([1]));
    await j.client.delete('x');
    expect(j.server.store.list()).toEqual([]);
    await expect(j.client.delete('x')).rejects.toMatchObject({ code: RSP.NOT_FOUND });
  });

  it('a Length header that disagrees with the body is a Bad Request; onPut can refuse with its own code', async () => {
    const j = joined({ onPut: (o) => (o.name === 'no' ? RSP.FORBIDDEN : undefined) });
    await j.client.connect();
    const bad = await j.client.request({
      opcode: OP.PUT,
      final: true,
      headers: [
        { id: HI.NAME, value: 'a' },
        { id: HI.LENGTH, value: 5 },
        { id: HI.END_OF_BODY, value: Uint8Array.from([1]) },
      ],
    });
    expect(bad.code).toBe(RSP.BAD_REQUEST);
    const err = await j.client.put('no', Uint8Array.from([1])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ObexError);
    expect((err as ObexError).code).toBe(RSP.FORBIDDEN);
  });

  it('asynchronous hooks: a Get waits for the phone (e.g. a PIN entry) and a failing hook is Internal Server Error (0xD0)', async () => {
    let confirm: (o: { name: string; type: string; body: Uint8Array }) => void = () => undefined;
    const j = joined({
      onGet: (name) => (name === 'history.sig' ? new Promise((r) => (confirm = r)) : undefined),
      onPut: (o) => {
        if (o.name === 'boom') throw new Error('hook failed');
      },
    });
    await j.client.connect();
    let done = false;
    const pending = j.client.get({ name: 'history.sig' }).then((g) => ((done = true), g));
    await new Promise((r) => setTimeout(r, 10));
    expect(done).toBe(false);
    confirm({
      name: 'history.sig',
      type: 'application/pkcs7-signature',
      body: Uint8Array.from([0x30, 0x80]),
    });
    const got = await pending;
    expect(got.type).toBe('application/pkcs7-signature');
    expect([...got.body]).toEqual([0x30, 0x80]);
    await expect(j.client.put('boom', Uint8Array.from([1]))).rejects.toMatchObject({
      code: RSP.INTERNAL_SERVER_ERROR,
    });
    await j.client.put('fine', Uint8Array.from([1]));
    expect(j.server.store.list().map((o) => o.name)).toEqual(['fine']);
  });

  it('fuzz: 5 000 mutated request streams: the server never throws and answers each packet with a response code', () => {
    const rnd = mulberry32(0x0be);
    const seeds = [
      encodeObexRequest({
        opcode: OP.CONNECT,
        final: true,
        connect: { version: 0x10, flags: 0, maxPacketLength: 0x400 },
        headers: [],
      }),
      encodeObexRequest({
        opcode: OP.PUT,
        final: true,
        headers: [
          { id: HI.NAME, value: 'f' },
          { id: HI.LENGTH, value: 3 },
          { id: HI.END_OF_BODY, value: Uint8Array.from([1, 2, 3]) },
        ],
      }),
      encodeObexRequest({ opcode: OP.GET, final: true, headers: [{ id: HI.NAME, value: 'f' }] }),
      encodeObexRequest({
        opcode: OP.SETPATH,
        final: true,
        setPath: { flags: 2, constants: 0 },
        headers: [{ id: HI.NAME, value: 'd' }],
      }),
    ];
    for (let i = 0; i < 5000; i++) {
      const replies: Uint8Array[] = [];
      const server = new ObexServer();
      const session = server.attach({ send: (b) => replies.push(b), setReceiver: () => undefined });
      const b = Uint8Array.from(seeds[i % seeds.length]!);
      for (let k = 0; k < 1 + Math.floor(rnd() * 3); k++) {
        const at = Math.floor(rnd() * b.length);
        if (at >= 3 || rnd() < 0.2) b[at] = Math.floor(rnd() * 256);
      }
      session.receive(b);
      for (const r of replies) {
        expect(parseObexResponse(r, (b[0]! & 0x7f) === OP.CONNECT).ok).toBe(true);
        expect(r[0]! & 0x80).toBe(0x80);
      }
      if (b.length >= 3 && ((b[1]! << 8) | b[2]!) === b.length) expect(replies.length).toBe(1);
    }
  });
});
