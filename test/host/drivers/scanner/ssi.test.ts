/**
 * The Scanner over Zebra SSI on a real PTY: configuration, ACK/NAK, duplicates, continuation, chunking.
 * The scripted decoder builds its packets with the shared codec; the checksum is also checked by hand below.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ScanDataType, Scanner, UposError } from '../../../../host/drivers/scanner/index.js';
import type { ScannerOptions } from '../../../../host/drivers/scanner/index.js';
import {
  SsiNakCause,
  SsiOpcode,
  SsiSource,
  SsiStatus,
  decodeParamSend,
  encodeSsi,
  ssiPacket,
} from '../../../../firmware-sim/scanner/ssi.js';
import { SsiParam } from '../../../../firmware-sim/scanner/ssi-params.js';
import { DeviceLink, EventLog, PtyPeer, SsiPeer, until } from './helpers.js';

let peer: PtyPeer | undefined;
let link: DeviceLink | undefined;
let scanner: Scanner | undefined;

afterEach(async () => {
  await scanner?.close();
  peer?.vanish();
  link?.remove();
  scanner = undefined;
  peer = undefined;
  link = undefined;
});

const decode = (type: number, text: string, status = 0) =>
  ssiPacket(SsiOpcode.DECODE_DATA, SsiSource.DECODER, [type, ...Buffer.from(text, 'latin1')], status);

async function start(
  options: Partial<ScannerOptions> = {},
): Promise<{ s: Scanner; d: SsiPeer; log: EventLog }> {
  peer = new PtyPeer();
  link = new DeviceLink(peer.ptsPath);
  const d = new SsiPeer(peer);
  scanner = new Scanner({ path: link.path, commandSet: 'ssi', interByteTimeoutMs: 200, ...options });
  const log = new EventLog(scanner);
  await scanner.open();
  await scanner.claim(1000);
  await scanner.setDeviceEnabled(true);
  scanner.decodeData = true;
  scanner.dataEventEnabled = true;
  return { s: scanner, d, log };
}

const acks = (d: SsiPeer) => d.fromHost.filter((p) => p.opcode === SsiOpcode.CMD_ACK).length;

describe('Scanner, SSI', () => {
  it('configures packeted decode data with AIM ids, then SCAN_ENABLE, each ACKed', async () => {
    const { d } = await start();
    const [param, enable] = d.fromHost;
    expect(param?.opcode).toBe(SsiOpcode.PARAM_SEND);
    expect(param?.source).toBe(SsiSource.HOST);
    expect(param!.status & SsiStatus.PERMANENT).toBe(0);
    const sent = decodeParamSend(param!.data);
    expect(sent?.params).toEqual(
      expect.arrayContaining([
        { number: SsiParam.DECODE_DATA_PACKET_FORMAT, value: 1 },
        { number: SsiParam.TRANSMIT_CODE_ID, value: 1 },
      ]),
    );
    expect(enable?.opcode).toBe(SsiOpcode.SCAN_ENABLE);
  });

  it('writes a CMD_ACK whose bytes match the SSI definition (checked by hand)', async () => {
    const { d, log } = await start();
    d.pty.clearFromHost();
    await d.send(decode(0x0b, ']E04901234567894'));
    await log.waitData(1);
    await until('ACK', () => d.pty.fromHost.length >= 6);
    // len 4, D0, source 04, status 00, checksum = -(4 + 0xD0 + 4) & 0xFFFF = 0xFF28
    expect(d.pty.fromHost.subarray(0, 6)).toEqual(Buffer.from([0x04, 0xd0, 0x04, 0x00, 0xff, 0x28]));
  });

  it('ACKs and delivers DECODE_DATA for several symbologies', async () => {
    const { d, log } = await start();
    const before = acks(d);
    await d.send(decode(0x0b, ']E04901234567894'));
    await d.send(decode(0x1c, ']Q1{"pay":42}'));
    await d.send(decode(0x0f, ']C1010950110153000310ABC\x1d21XYZ'));
    await d.send(decode(0x1b, ']d1matrix'));
    await log.waitData(4);
    expect(log.data.map((e) => [e.type, e.label, e.status])).toEqual([
      [ScanDataType.EAN13, '4901234567894', 16],
      [ScanDataType.QRCODE, '{"pay":42}', 13],
      [ScanDataType.EAN128, '010950110153000310ABC\x1d21XYZ', 30],
      [ScanDataType.DATAMATRIX, 'matrix', 9],
    ]);
    await until('four ACKs', () => acks(d) - before >= 4);
  });

  it('NAKs a packet with a bad checksum and takes the resent one', async () => {
    const { d, log } = await start();
    const bad = encodeSsi(decode(0x0b, ']E04901234567894'));
    bad[bad.length - 1]! ^= 0x55;
    await d.pty.write(bad);
    await until('NAK RESEND', () =>
      d.fromHost.some((p) => p.opcode === SsiOpcode.CMD_NAK && p.data[0] === SsiNakCause.RESEND),
    );
    expect(log.data).toHaveLength(0);
    await d.send(decode(0x0b, ']E04901234567894', SsiStatus.RETRANSMIT));
    await log.waitData(1);
    expect(log.data[0]!.label).toBe('4901234567894');
  });

  it('reassembles continuation packets split across chunks', async () => {
    const { d, log } = await start();
    const text = `]Q1${'0123456789'.repeat(60)}`;
    const parts = [text.slice(0, 250), text.slice(250, 500), text.slice(500)];
    const bytes = Buffer.concat(
      parts.map((t, i) => encodeSsi(decode(0x1c, t, i < parts.length - 1 ? SsiStatus.CONTINUATION : 0))),
    );
    await d.pty.writeChunked(bytes, 7, 1);
    await log.waitData(1);
    expect(log.data[0]!.label).toBe('0123456789'.repeat(60));
    expect(log.data[0]!.type).toBe(ScanDataType.QRCODE);
    expect(log.data[0]!.status).toBe(text.length);
  });

  it('ACKs a duplicate retransmission again but delivers it once', async () => {
    const { d, log } = await start();
    const before = acks(d);
    await d.send(decode(0x0b, ']E04901234567894'));
    await log.waitData(1);
    await d.send(decode(0x0b, ']E04901234567894', SsiStatus.RETRANSMIT));
    await until('second ACK', () => acks(d) - before >= 2);
    await log.waitTrace(/retransmission/);
    await d.send(decode(0x0a, ']E496385236'));
    await log.waitData(2);
    expect(log.data.map((e) => [e.type, e.label])).toEqual([
      [ScanDataType.EAN13, '4901234567894'],
      [ScanDataType.EAN8, '96385236'],
    ]);
  });

  it('drops a partial packet after inter-byte silence', async () => {
    const { d, log } = await start({ interByteTimeoutMs: 30 });
    const whole = encodeSsi(decode(0x0b, ']E04901234567894'));
    await d.pty.write(whole.subarray(0, 8));
    await log.waitTrace(/partial packet/);
    await d.pty.write(whole);
    await log.waitData(1);
    expect(log.data).toHaveLength(1);
  });

  it('resends a command that gets no reply, with the retransmit bit', async () => {
    peer = new PtyPeer();
    link = new DeviceLink(peer.ptsPath);
    const d = new SsiPeer(peer);
    let silent = 1;
    d.answer = () => (silent-- > 0 ? undefined : ssiPacket(SsiOpcode.CMD_ACK, SsiSource.DECODER));
    scanner = new Scanner({ path: link.path, commandSet: 'ssi', configure: { responseTimeoutMs: 100 } });
    await scanner.open();
    await scanner.claim(1000);
    await scanner.setDeviceEnabled(true);
    const params = d.fromHost.filter((p) => p.opcode === SsiOpcode.PARAM_SEND);
    expect(params.map((p) => p.status & SsiStatus.RETRANSMIT)).toEqual([0, SsiStatus.RETRANSMIT]);
  });

  it('fails the enable with E_FAILURE when the decoder refuses (NAK DENIED), E_TIMEOUT when silent', async () => {
    peer = new PtyPeer();
    link = new DeviceLink(peer.ptsPath);
    const d = new SsiPeer(peer);
    d.answer = () => ssiPacket(SsiOpcode.CMD_NAK, SsiSource.DECODER, [SsiNakCause.DENIED]);
    scanner = new Scanner({
      path: link.path,
      commandSet: 'ssi',
      configure: { responseTimeoutMs: 100, retries: 1 },
    });
    await scanner.open();
    await scanner.claim(1000);
    await expect(scanner.setDeviceEnabled(true)).rejects.toMatchObject({
      errorCode: UposError.E_FAILURE,
      errorCodeExtended: 0x100 + SsiNakCause.DENIED,
    });
    expect(scanner.deviceEnabled).toBe(false);
    d.answer = () => undefined;
    await expect(scanner.setDeviceEnabled(true)).rejects.toMatchObject({ errorCode: UposError.E_TIMEOUT });
    expect(scanner.deviceEnabled).toBe(false);
  });

  it('sends SCAN_DISABLE when disabled', async () => {
    const { s, d } = await start();
    await s.setDeviceEnabled(false);
    expect(d.count(SsiOpcode.SCAN_DISABLE)).toBe(1);
  });
});
