/**
 * The Scanner on plain serial output (commandSet 'none') over a real PTY: DataEvent fields, framing of
 * chunked input, and the UPOS input model (DataEventEnabled, FreezeEvents, AutoDisable, ClearInput, errors).
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  ErrorLocus,
  ErrorResponse,
  ScanDataType,
  Scanner,
  UposError,
  UposState,
} from '../../../../host/drivers/scanner/index.js';
import type { ScannerOptions } from '../../../../host/drivers/scanner/index.js';
import { DeviceLink, EventLog, PtyPeer, until } from './helpers.js';

const GS = '\x1d';

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

async function start(
  options: Partial<ScannerOptions> = {},
): Promise<{ s: Scanner; p: PtyPeer; log: EventLog }> {
  peer = new PtyPeer();
  link = new DeviceLink(peer.ptsPath);
  scanner = new Scanner({ path: link.path, commandSet: 'none', interByteTimeoutMs: 200, ...options });
  const log = new EventLog(scanner);
  await scanner.open();
  await scanner.claim(1000);
  await scanner.setDeviceEnabled(true);
  scanner.decodeData = true;
  scanner.dataEventEnabled = true;
  return { s: scanner, p: peer, log };
}

describe('Scanner, plain serial', () => {
  it('delivers an EAN-13 label with UPOS fields, DataEventEnabled false inside the event', async () => {
    const { s, p, log } = await start();
    expect(s.state).toBe(UposState.S_IDLE);
    await p.write(']E04901234567894\r\n');
    await log.waitData(1);
    expect(log.data[0]).toEqual({
      kind: 'data',
      status: 16,
      scanData: ']E04901234567894',
      label: '4901234567894',
      type: ScanDataType.EAN13,
      dataEventEnabled: false,
    });
  });

  it('identifies QR, GS1-128 (GS kept) and Data Matrix labels', async () => {
    const { p, log } = await start();
    await p.write(']Q1https://example.test/pay?id=42\r\n');
    await log.waitData(1);
    await p.write(`]C10109501101530003${GS}10ABC123${GS}3103000750\r\n`);
    await log.waitData(2);
    await p.write(']d1DM-0001/XYZ\r\n');
    await log.waitData(3);
    expect(log.data.map((d) => [d.type, d.label])).toEqual([
      [ScanDataType.QRCODE, 'https://example.test/pay?id=42'],
      [ScanDataType.EAN128, `0109501101530003${GS}10ABC123${GS}3103000750`],
      [ScanDataType.DATAMATRIX, 'DM-0001/XYZ'],
    ]);
    expect(log.data[1]!.status).toBe(3 + 16 + 1 + 8 + 1 + 10);
  });

  it('leaves the label undecoded when decodeData is false', async () => {
    const { s, p, log } = await start();
    s.decodeData = false;
    await p.write(']E04901234567894\r\n');
    await log.waitData(1);
    expect(log.data[0]).toMatchObject({
      scanData: ']E04901234567894',
      label: '',
      type: ScanDataType.UNKNOWN,
    });
  });

  it('frames a label split into many chunks with short pauses', async () => {
    const { p, log } = await start({ interByteTimeoutMs: 500 });
    await p.writeChunked(']d1LONG-DATA-MATRIX-CONTENT-0123456789\r\n', 3, 2);
    await p.writeChunked(']E04901234567894\r\n', 1, 1);
    await log.waitData(2);
    expect(log.data.map((d) => d.label)).toEqual(['LONG-DATA-MATRIX-CONTENT-0123456789', '4901234567894']);
  });

  it('splits two labels that arrive in one chunk', async () => {
    const { p, log } = await start();
    await p.write(']E04901234567894\r\n]Q1second\r\n');
    await log.waitData(2);
    expect(log.data.map((d) => [d.type, d.label])).toEqual([
      [ScanDataType.EAN13, '4901234567894'],
      [ScanDataType.QRCODE, 'second'],
    ]);
  });

  it('keeps a CR inside QR data when more data follows (CR suffix)', async () => {
    const { p, log } = await start({ suffix: '\r' });
    await p.write(']Q1line one\rline two\r');
    await log.waitData(1);
    await p.write(']Q1alpha\r');
    await log.waitData(2);
    expect(log.data.map((d) => d.label)).toEqual(['line one\rline two', 'alpha']);
  });

  it('keeps CR LF inside data under a CR LF suffix, but splits at CR LF before an AIM id', async () => {
    const { p, log } = await start();
    await p.write(']Q1a\r\nb\r\n]Q1c\r\n');
    await log.waitData(2);
    expect(log.data.map((d) => d.label)).toEqual(['a\r\nb', 'c']);
  });

  it('ends a label without suffix on inter-byte silence', async () => {
    const { p, log } = await start({ interByteTimeoutMs: 50 });
    await p.write(']E04901234567894');
    await log.waitData(1);
    expect(log.data[0]!.label).toBe('4901234567894');
  });

  it('needs the application to re-enable DataEventEnabled for each event; input waits in the queue', async () => {
    const { s, p, log } = await start();
    log.reenable = false;
    await p.write(']E04901234567894\r\n');
    await log.waitData(1);
    await p.write(']E04006381333931\r\n');
    await until('second label queued', () => s.dataCount === 1);
    expect(log.data).toHaveLength(1);
    expect(s.dataEventEnabled).toBe(false);
    s.dataEventEnabled = true;
    await log.waitData(2);
    expect(s.dataCount).toBe(0);
    expect(log.data[1]!.label).toBe('4006381333931');
  });

  it('queues while FreezeEvents is true and releases in order', async () => {
    const { s, p, log } = await start();
    s.freezeEvents = true;
    await p.write(']E04901234567894\r\n');
    await p.write(']Q1two\r\n');
    await p.write(']d1three\r\n');
    await until('three labels queued', () => s.dataCount === 3);
    expect(log.data).toHaveLength(0);
    s.freezeEvents = false;
    await log.waitData(3);
    expect(log.data.map((d) => d.label)).toEqual(['4901234567894', 'two', 'three']);
    expect(s.dataCount).toBe(0);
  });

  it('AutoDisable disables the device after one label and drops what follows', async () => {
    const { s, p, log } = await start();
    s.autoDisable = true;
    await p.write(']E04901234567894\r\n');
    await log.waitData(1);
    expect(s.deviceEnabled).toBe(false);
    await p.write(']Q1ignored\r\n');
    await log.waitTrace(/dropped: device disabled/);
    expect(s.dataCount).toBe(0);
    await s.setDeviceEnabled(true);
    await p.write(']Q1after\r\n');
    await log.waitData(2);
    expect(log.data.map((d) => d.label)).toEqual(['4901234567894', 'after']);
  });

  it('clearInput empties the queue', async () => {
    const { s, p, log } = await start();
    s.dataEventEnabled = false;
    await p.write(']E04901234567894\r\n]Q1two\r\n');
    await until('two queued', () => s.dataCount === 2);
    s.clearInput();
    expect(s.dataCount).toBe(0);
    s.dataEventEnabled = true;
    await p.write(']Q1three\r\n');
    await log.waitData(1);
    expect(log.data.map((d) => d.label)).toEqual(['three']);
  });

  it('reports an over-long label as an input error, ahead of queued data (EL_INPUT_DATA), then EL_INPUT', async () => {
    const { s, p, log } = await start({ maxLabelLength: 64 });
    s.dataEventEnabled = false;
    await p.write(']E04901234567894\r\n');
    await until('label queued', () => s.dataCount === 1);
    await p.write(`]Q1${'x'.repeat(200)}\r\n`);
    await until('error state', () => s.state === UposState.S_ERROR);
    s.dataEventEnabled = true;
    await until('three events', () => log.events.length >= 3);
    expect(log.events.map((e) => (e.kind === 'error' ? `error:${e.locus}` : e.kind))).toEqual([
      `error:${ErrorLocus.EL_INPUT_DATA}`,
      'data',
      `error:${ErrorLocus.EL_INPUT}`,
    ]);
    expect(log.errors[0]).toMatchObject({ errorCode: UposError.E_FAILURE, state: UposState.S_ERROR });
    await until('idle', () => s.state === UposState.S_IDLE);
    await p.write(']Q1fine\r\n');
    await log.waitData(2);
  });

  it('ER_CLEAR on EL_INPUT_DATA drops the queued data', async () => {
    const { s, p, log } = await start({ maxLabelLength: 64 });
    log.errorResponse = ErrorResponse.ER_CLEAR;
    s.dataEventEnabled = false;
    await p.write(']E04901234567894\r\n');
    await until('label queued', () => s.dataCount === 1);
    await p.write(`]Q1${'x'.repeat(200)}\r\n`);
    await until('error state', () => s.state === UposState.S_ERROR);
    s.dataEventEnabled = true;
    await until('error delivered', () => log.errors.length === 1);
    await until('idle', () => s.state === UposState.S_IDLE);
    expect(s.dataCount).toBe(0);
    expect(log.data).toHaveLength(0);
  });

  it('throws UPOS errors for calls out of order', async () => {
    peer = new PtyPeer();
    link = new DeviceLink(peer.ptsPath);
    scanner = new Scanner({ path: link.path, commandSet: 'none' });
    expect(() => (scanner!.dataEventEnabled = true)).toThrow(
      expect.objectContaining({ errorCode: UposError.E_CLOSED }),
    );
    await scanner.open();
    await expect(scanner.open()).rejects.toMatchObject({ errorCode: UposError.E_ILLEGAL });
    await expect(scanner.setDeviceEnabled(true)).rejects.toMatchObject({ errorCode: UposError.E_NOTCLAIMED });
    await expect(scanner.release()).rejects.toMatchObject({ errorCode: UposError.E_ILLEGAL });
    const missing = new Scanner({ path: `${link.dir}/nothing-here`, commandSet: 'none' });
    await expect(missing.open()).rejects.toMatchObject({ errorCode: UposError.E_NOEXIST });
  });
});
