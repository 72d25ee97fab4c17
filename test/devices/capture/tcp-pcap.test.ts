import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TcpCapture, tcpSegment } from '../../../devices/capture/tcp-pcap.js';
import { frameMessage } from '../../../devices/cat/iso8583-link.js';
import {
  buildAuthorizationRequest,
  buildAuthorizationResponse,
  encodeMessage,
  type Iso8583Message,
} from '../../../firmware-sim/cat/iso8583/index.js';
import { tsharkIso8583 } from '../../iso8583-oracle.js';
import { hasTshark } from '../../oracles.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchtwin-tcp-pcap-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const CLIENT = { address: '127.0.0.1', port: 40001 };
const SERVER = { address: '127.0.0.1', port: 18583 };
const REQUEST = {
  pan: '2234323442345234',
  expiry: '2912',
  amountMinor: 9800,
  currencyNumeric: '392',
  stan: 7,
  terminalId: 'GW01',
  merchantId: '2222222222',
  paymentMethod: 'R',
  transactionNumber: '100005',
  at: new Date(Date.UTC(2026, 6, 5, 14, 15, 0)),
};

describe('TCP capture', () => {
  it('IPv4 and TCP checksums verify to zero (RFC 791, RFC 793 pseudo-header)', () => {
    const packet = tcpSegment(CLIENT, SERVER, 1, 2, 0x18, Buffer.from('odd'), 9);
    const sum = (b: Uint8Array, init = 0): number => {
      let s = init;
      for (let i = 0; i < b.length; i += 2) s += (b[i]! << 8) | (b[i + 1] ?? 0);
      while (s >> 16) s = (s & 0xffff) + (s >> 16);
      return s;
    };
    expect(sum(packet.subarray(0, 20))).toBe(0xffff);
    const tcp = packet.subarray(20);
    const pseudo = Buffer.from([127, 0, 0, 1, 127, 0, 0, 1, 0, 6, 0, tcp.length]);
    expect(sum(tcp, sum(pseudo))).toBe(0xffff);
  });

  it.skipIf(!hasTshark)(
    'tshark reassembles and dissects ISO 8583 in it: a message over 1460 bytes, two in one segment, one split in two (needs tshark from Debian tshark)',
    async () => {
      const file = path.join(dir, 'stream.pcapng');
      const capture = new TcpCapture(file);
      const stream = capture.openStream(CLIENT, SERVER);
      const big: Iso8583Message = {
        mti: '0100',
        fields: { ...buildAuthorizationRequest(REQUEST).fields, 48: 'TN999' + 'x'.repeat(999 - 5) },
      };
      const first = buildAuthorizationRequest(REQUEST);
      const answer = buildAuthorizationResponse(first, {
        responseCode: '00',
        approvalCode: 'K7P2Q9',
        rrn: '618614000001',
      });
      const repeat = buildAuthorizationRequest({ ...REQUEST, stan: 8 }, { repeat: true });
      const bigFrame = frameMessage(encodeMessage({ ...big, fields: { ...big.fields, 2: '1'.repeat(19) } }));
      stream.data('client', frameMessage(encodeMessage(first)));
      stream.data('server', frameMessage(encodeMessage(answer)));
      const f = frameMessage(encodeMessage(repeat));
      stream.data('client', f.subarray(0, 30));
      stream.data('client', Buffer.concat([f.subarray(30), frameMessage(encodeMessage(first))]));
      stream.data('client', bigFrame);
      stream.end('server');
      capture.close();

      const { messages, problems } = await tsharkIso8583(file, SERVER.port);
      expect(problems).toEqual([]);
      expect(messages.map((m) => m.mti)).toEqual(['0100', '0110', '0101', '0100', '0100']);
      expect(messages[0]!.bitmap1).toBe('723C040000C18000');
      expect(messages[0]!.fields).toEqual(first.fields);
      expect(messages[1]!.fields).toEqual(answer.fields);
      expect(messages[2]!.fields).toEqual(repeat.fields);
      expect(messages[4]!.fields[48]).toHaveLength(999);
      expect(messages[4]!.fields[2]).toBe('1'.repeat(19));
    },
  );

  it.skipIf(!hasTshark)(
    'the oracle can fail: tshark flags letters in numeric field 4 as malformed (needs tshark from Debian tshark)',
    async () => {
      const file = path.join(dir, 'bad.pcapng');
      const capture = new TcpCapture(file);
      const stream = capture.openStream(CLIENT, SERVER);
      const text = Buffer.from(encodeMessage(buildAuthorizationRequest(REQUEST))).toString('latin1');
      const bad = text.replace('000000009800', '0000000098AB');
      stream.data('client', frameMessage(Buffer.from(bad, 'latin1')));
      capture.close();
      const { problems } = await tsharkIso8583(file, SERVER.port);
      expect(problems.length).toBeGreaterThan(0);
    },
  );
});
