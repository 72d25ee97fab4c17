import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TcpCapture } from '../../../devices/capture/tcp-pcap.js';
import {
  connectCreditHost,
  CreditHostConnectionError,
  CreditHostTimeoutError,
  FrameReader,
  frameMessage,
} from '../../../devices/cat/iso8583-link.js';
import type { AuthorizationRequest } from '../../../firmware-sim/cat/credit-host.js';
import { SystemClock, VirtualClock } from '../../../firmware-sim/clock.js';
import {
  buildAuthorizationResponse,
  decodeMessage,
  encodeMessage,
  type Iso8583Message,
} from '../../../firmware-sim/cat/iso8583/index.js';
import { CreditServer } from '../../../services/credit/credit-server.js';
import { waitFor } from '../../services/smsc/helpers.js';
import { tsharkIso8583 } from '../../iso8583-oracle.js';
import { hasTshark } from '../../oracles.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchtwin-iso8583-link-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const CARDS = path.join(import.meta.dirname, '../../../fixtures/seed001/cardholders.yaml');

const request = (stan: number, over: Partial<AuthorizationRequest> = {}): AuthorizationRequest => ({
  pan: '1234223432344234',
  expiry: '2812',
  amountMinor: 1000,
  currencyNumeric: '392',
  stan,
  terminalId: 'GW01',
  merchantId: '1111111111',
  paymentMethod: 'L',
  transactionNumber: `T${stan}`,
  at: new Date(Date.UTC(2026, 6, 3, 10, 20, 0)),
  ...over,
});

/**
 * A stand-in issuer for the failure branches the real one never shows (no answer, answers out of order):
 * it records every request and answers only when told.
 */
class StandInIssuer {
  readonly requests: Iso8583Message[] = [];
  readonly sockets: net.Socket[] = [];
  private readonly server = net.createServer((socket) => {
    this.sockets.push(socket);
    const reader = new FrameReader();
    socket.on('data', (chunk) => {
      for (const frame of reader.push(chunk)) {
        const r = decodeMessage(frame);
        if (r.ok) this.requests.push(r.message);
      }
    });
    socket.on('error', () => {});
  });

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as net.AddressInfo).port;
  }

  answer(request: Iso8583Message, responseCode = '00'): void {
    const bytes = frameMessage(
      encodeMessage(
        buildAuthorizationResponse(request, { responseCode, approvalCode: 'OK1234', rrn: '600000000001' }),
      ),
    );
    this.sockets[this.sockets.length - 1]!.write(bytes);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

describe('ISO 8583 framing', () => {
  it('splits a stream into 2-byte big-endian length-prefixed frames however it arrives', () => {
    const a = frameMessage(Buffer.from('0800'));
    const b = frameMessage(Buffer.alloc(300, 0x41));
    expect([...a.subarray(0, 2)]).toEqual([0x00, 0x04]);
    expect([...b.subarray(0, 2)]).toEqual([0x01, 0x2c]);
    const stream = Buffer.concat([a, b, a]);
    const oneByOne = new FrameReader();
    const out: Uint8Array[] = [];
    for (const byte of stream) out.push(...oneByOne.push(Buffer.from([byte])));
    expect(out.map((f) => f.length)).toEqual([4, 300, 4]);
    const whole = new FrameReader();
    expect(whole.push(stream).map((f) => Buffer.from(f).toString('latin1').slice(0, 4))).toEqual([
      '0800',
      'AAAA',
      '0800',
    ]);
    expect(whole.pending).toBe(0);
  });
});

describe('Iso8583Client against the credit server', () => {
  const file = path.join(dir, 'client.pcapng');
  let port = 0;

  it('signs on, echoes, authorizes and reverses', async () => {
    const server = new CreditServer();
    const clock = new SystemClock();
    port = await server.start({
      dbFile: path.join(dir, 'a.sqlite'),
      clock,
      issuerCode: '2a11111',
      cardholders: CARDS,
      log: () => {},
    });
    const client = await connectCreditHost({
      host: '127.0.0.1',
      port,
      clock,
      terminalId: 'GW01',
      capture: file,
    });
    try {
      await client.signOn();
      await client.echo();
      const approved = await client.authorize(request(1));
      expect(approved).toMatchObject({ responseCode: '00', approved: true });
      expect(approved.approvalCode).toMatch(/^[0-9A-Z]{6}$/);
      expect(approved.rrn).toMatch(/^[0-9]{12}$/);
      expect(await client.reverse({ original: request(1), stan: 2, at: new Date() })).toMatchObject({
        responseCode: '00',
      });
    } finally {
      await client.close();
      await server.close();
    }
  });

  it.skipIf(!hasTshark)(
    "the client's capture dissects in tshark: MTIs, bitmaps, fields, nothing malformed (needs tshark from Debian tshark)",
    async () => {
      const { messages, problems } = await tsharkIso8583(file, port);
      expect(problems).toEqual([]);
      expect(messages.map((m) => m.mti)).toEqual([
        '0800',
        '0810',
        '0800',
        '0810',
        '0100',
        '0110',
        '0400',
        '0410',
      ]);
      expect(messages[0]!.fields[70]).toBe('001');
      expect(messages[2]!.fields[70]).toBe('301');
      expect(messages[5]!.fields[39]).toBe('00');
      expect(messages[6]!.bitmap2).toBe('0000004000000000');
    },
  );
});

describe('Iso8583Client: timeouts, repeats, matching (stand-in issuer)', () => {
  it('an unanswered 0100 is sent again as 0101 with the same STAN after the timeout on the injected clock (stand-in issuer)', async () => {
    const issuer = new StandInIssuer();
    const port = await issuer.listen();
    const clock = new VirtualClock();
    const client = await connectCreditHost({
      host: '127.0.0.1',
      port,
      clock,
      terminalId: 'GW01',
      timeoutMs: 5000,
    });
    try {
      const pending = client.authorize(request(77));
      await waitFor('the 0100', () => issuer.requests.length === 1);
      clock.advance(4999);
      await new Promise((r) => setTimeout(r, 20));
      expect(issuer.requests).toHaveLength(1);
      clock.advance(1);
      await waitFor('the 0101', () => issuer.requests.length === 2);
      const [first, second] = issuer.requests as [Iso8583Message, Iso8583Message];
      expect([first.mti, second.mti]).toEqual(['0100', '0101']);
      expect(second.fields[11]).toBe(first.fields[11]);
      expect(second.fields[4]).toBe(first.fields[4]);
      issuer.answer(second);
      expect(await pending).toMatchObject({ responseCode: '00', approved: true, approvalCode: 'OK1234' });
    } finally {
      await client.close();
      await issuer.close();
    }
  });

  it('gives up after its retries with CreditHostTimeoutError; the next call for the same request is a repeat (stand-in issuer)', async () => {
    const issuer = new StandInIssuer();
    const port = await issuer.listen();
    const clock = new VirtualClock();
    const client = await connectCreditHost({
      host: '127.0.0.1',
      port,
      clock,
      terminalId: 'GW01',
      timeoutMs: 1000,
      retries: 0,
    });
    try {
      const pending = client.authorize(request(5));
      await waitFor('the 0100', () => issuer.requests.length === 1);
      clock.advance(1000);
      await expect(pending).rejects.toBeInstanceOf(CreditHostTimeoutError);
      const again = client.authorize(request(5));
      await waitFor('the repeat', () => issuer.requests.length === 2);
      expect(issuer.requests[1]!.mti).toBe('0101');
      issuer.answer(issuer.requests[1]!, '51');
      expect(await again).toMatchObject({ responseCode: '51', approved: false });
    } finally {
      await client.close();
      await issuer.close();
    }
  });

  it('matches answers by (41, 11), whatever their order (stand-in issuer)', async () => {
    const issuer = new StandInIssuer();
    const port = await issuer.listen();
    const clock = new VirtualClock();
    const client = await connectCreditHost({ host: '127.0.0.1', port, clock, terminalId: 'GW01' });
    try {
      const a = client.authorize(request(10));
      const b = client.authorize(request(11));
      await waitFor('both requests', () => issuer.requests.length === 2);
      const byStan = (s: string): Iso8583Message => issuer.requests.find((m) => m.fields[11] === s)!;
      issuer.answer(byStan('000011'), '51');
      issuer.answer(byStan('000010'), '00');
      expect((await a).responseCode).toBe('00');
      expect((await b).responseCode).toBe('51');
    } finally {
      await client.close();
      await issuer.close();
    }
  });

  it('a lost connection rejects with CreditHostConnectionError; the next call reconnects and repeats (stand-in issuer)', async () => {
    const issuer = new StandInIssuer();
    const port = await issuer.listen();
    const clock = new VirtualClock();
    const capture = new TcpCapture(path.join(dir, 'reconnect.pcapng'));
    const client = await connectCreditHost({
      host: '127.0.0.1',
      port,
      clock,
      terminalId: 'GW01',
      retries: 0,
      capture,
    });
    try {
      const pending = client.authorize(request(20));
      await waitFor('the 0100', () => issuer.requests.length === 1);
      issuer.sockets[0]!.destroy();
      await expect(pending).rejects.toBeInstanceOf(CreditHostConnectionError);
      const again = client.authorize(request(20));
      await waitFor('the repeat on a new connection', () => issuer.requests.length === 2);
      expect(issuer.sockets).toHaveLength(2);
      expect(issuer.requests[1]!.mti).toBe('0101');
      issuer.answer(issuer.requests[1]!);
      expect((await again).approved).toBe(true);
    } finally {
      await client.close();
      capture.close();
      await issuer.close();
    }
  });
});

/** A TCP relay that holds every chunk from the client for `delayMs` of real time: a slow payment network. */
async function slowRelay(
  upstream: number,
  delayMs: number,
): Promise<{ port: number; requests: () => number; close: () => Promise<void> }> {
  const sockets: net.Socket[] = [];
  let frames = 0;
  const server = net.createServer((client) => {
    const reader = new FrameReader();
    const up = net.connect(upstream, '127.0.0.1');
    sockets.push(client, up);
    client.on('data', (chunk) => {
      frames += reader.push(chunk).length;
      setTimeout(() => up.write(chunk), delayMs);
    });
    up.on('data', (chunk) => client.write(chunk));
    for (const s of [client, up]) {
      s.on('error', () => {});
      s.on('close', () => (s === client ? up : client).destroy());
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    requests: () => frames,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('Iso8583Client on a self-advancing virtual clock (regression)', () => {
  it('holds the clock while its request is in flight: a slow network does not turn into a timeout and a 0101 repeat', async () => {
    // The bench's clock jumps to the next timer after 5 ms of quiet; the request's own timeout was that timer.
    const clock = new VirtualClock({ autoAdvance: { quietMs: 5 } });
    const server = new CreditServer();
    const issuerPort = await server.start({
      dbFile: path.join(dir, 'slow.sqlite'),
      clock,
      issuerCode: '2a11111',
      cardholders: CARDS,
      log: () => {},
    });
    const relay = await slowRelay(issuerPort, 60);
    const client = await connectCreditHost({
      host: '127.0.0.1',
      port: relay.port,
      clock,
      terminalId: 'GW01',
    });
    try {
      const answer = await client.authorize(request(31));
      expect(answer).toMatchObject({ responseCode: '00', approved: true });
      expect(relay.requests()).toBe(1);
      expect(clock.now()).toBeLessThan(30_000);
      expect(server.journal().filter((r) => r.stan === 31)).toHaveLength(1);
    } finally {
      await client.close();
      await relay.close();
      await server.close();
      clock.dispose();
    }
  });
});
