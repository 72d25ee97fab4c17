/**
 * The Scanner with Honeywell serial commands on a real PTY. The scripted scanner answers with literal bytes
 * (echo + ACK/ENQ/NAK + storage character), written out by hand rather than by the shared encoder.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ExtendedFailure, ScanDataType, Scanner, UposError } from '../../../../host/drivers/scanner/index.js';
import type { ScannerOptions } from '../../../../host/drivers/scanner/index.js';
import { DeviceLink, EventLog, PtyPeer, until } from './helpers.js';

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

const MENU = '\x16M\rPREENA1,CA2,BK2995C81;SUFENA1,CA2,BK2990D0A!';
const ACK_REPLY = 'PREENA1\x06,CA2\x06,BK2995C81\x06;SUFENA1\x06,CA2\x06,BK2990D0A\x06!';

/** Answers each complete menu command (ending in `!`) with the next reply of `replies` (the last repeats). */
function scriptedScanner(p: PtyPeer, replies: (string | undefined)[]): string[] {
  const commands: string[] = [];
  let buf = '';
  p.onHostBytes = (chunk) => {
    buf += chunk.toString('latin1');
    let end: number;
    while ((end = buf.indexOf('!')) >= 0) {
      commands.push(buf.slice(0, end + 1));
      buf = buf.slice(end + 1);
      const reply = replies.length > 1 ? replies.shift() : replies[0];
      if (reply !== undefined) void p.write(reply);
    }
  };
  return commands;
}

async function setup(options: Partial<ScannerOptions> = {}): Promise<Scanner> {
  peer = new PtyPeer();
  link = new DeviceLink(peer.ptsPath);
  scanner = new Scanner({
    path: link.path,
    commandSet: 'honeywell',
    interByteTimeoutMs: 200,
    ...options,
    configure: { responseTimeoutMs: 200, retries: 1, ...options.configure },
  });
  await scanner.open();
  await scanner.claim(1000);
  return scanner;
}

describe('Scanner, Honeywell serial commands', () => {
  it('sends the menu commands for AIM ids and the CR LF suffix, accepts the ACKs, reads labels', async () => {
    const s = await setup();
    const commands = scriptedScanner(peer!, [ACK_REPLY]);
    const log = new EventLog(s);
    await s.setDeviceEnabled(true);
    expect(commands).toEqual([MENU]);
    s.decodeData = true;
    s.dataEventEnabled = true;
    await peer!.write(']E04901234567894\r\n');
    await log.waitData(1);
    expect(log.data[0]).toMatchObject({ label: '4901234567894', type: ScanDataType.EAN13, status: 16 });
  });

  it('takes a reply that arrives in pieces', async () => {
    const s = await setup();
    const commands: string[] = [];
    peer!.onHostBytes = (chunk) => {
      commands.push(chunk.toString('latin1'));
      if (commands.join('').endsWith('!')) void peer!.writeChunked(ACK_REPLY, 2, 1);
    };
    await s.setDeviceEnabled(true);
    expect(s.deviceEnabled).toBe(true);
  });

  it('finds the reply behind a label that was still in flight', async () => {
    const s = await setup();
    scriptedScanner(peer!, [`]E04901234567894\r\n${ACK_REPLY}`]);
    await s.setDeviceEnabled(true);
    expect(s.deviceEnabled).toBe(true);
  });

  it('configures a TAB suffix, a prefix and Code IDs when asked', async () => {
    const s = await setup({ suffix: '\t', configure: { symbologyId: 'honeywell', prefix: '#' } });
    const commands = scriptedScanner(peer!, [
      'PREENA1\x06,CA2\x06,BK299235C80\x06;SUFENA1\x06,CA2\x06,BK29909\x06!',
    ]);
    const log = new EventLog(s);
    await s.setDeviceEnabled(true);
    expect(commands).toEqual(['\x16M\rPREENA1,CA2,BK299235C80;SUFENA1,CA2,BK29909!']);
    s.decodeData = true;
    s.dataEventEnabled = true;
    await peer!.write('#s{"pay":1}\t#d4901234567894\t');
    await log.waitData(2);
    expect(log.data.map((d) => [d.type, d.label, d.scanData])).toEqual([
      [ScanDataType.QRCODE, '{"pay":1}', '#s{"pay":1}'],
      [ScanDataType.EAN13, '4901234567894', '#d4901234567894'],
    ]);
  });

  it('fails the enable with E_FAILURE when a command is answered with ENQ (unknown tag)', async () => {
    const s = await setup();
    scriptedScanner(peer!, ['PREENA1\x06,CA2\x06,BK2995C81\x06;SUFENA1\x05,CA2\x06,BK2990D0A\x06!']);
    await expect(s.setDeviceEnabled(true)).rejects.toMatchObject({
      errorCode: UposError.E_FAILURE,
      errorCodeExtended: ExtendedFailure.HONEYWELL_ENQ,
    });
    expect(s.deviceEnabled).toBe(false);
  });

  it('fails the enable with E_FAILURE when a value is answered with NAK', async () => {
    const s = await setup();
    scriptedScanner(peer!, ['PREENA1\x06,CA2\x06,BK2995C81\x15;SUFENA1\x06,CA2\x06,BK2990D0A\x06!']);
    await expect(s.setDeviceEnabled(true)).rejects.toMatchObject({
      errorCode: UposError.E_FAILURE,
      errorCodeExtended: ExtendedFailure.HONEYWELL_NAK,
    });
  });

  it('resends once without a reply, then fails with E_TIMEOUT', async () => {
    const s = await setup();
    const commands = scriptedScanner(peer!, [undefined]);
    await expect(s.setDeviceEnabled(true)).rejects.toMatchObject({ errorCode: UposError.E_TIMEOUT });
    expect(commands).toEqual([MENU, MENU]);
  });

  it('succeeds on the resend after a lost reply, and can then be enabled', async () => {
    const s = await setup();
    const commands = scriptedScanner(peer!, [undefined, ACK_REPLY]);
    await s.setDeviceEnabled(true);
    expect(commands).toHaveLength(2);
    expect(s.deviceEnabled).toBe(true);
  });

  it('sends untrigger when disabled', async () => {
    const s = await setup();
    scriptedScanner(peer!, [ACK_REPLY]);
    await s.setDeviceEnabled(true);
    peer!.clearFromHost();
    await s.setDeviceEnabled(false);
    await until('untrigger', () => peer!.fromHost.toString('latin1').includes('\x16U\r'));
  });
});
