/**
 * Claiming, losing and regaining the port: exclusive access through serialport's lock, an unplugged device
 * (PTY master destroyed, slave closed) and a replugged one (a new PTY behind the same symlink).
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  ErrorLocus,
  FOREVER,
  PowerNotify,
  PowerState,
  ScanDataType,
  Scanner,
  StatusUpdate,
  UposError,
} from '../../../../host/drivers/scanner/index.js';
import { SsiOpcode, SsiSource, ssiPacket } from '../../../../firmware-sim/scanner/ssi.js';
import { DeviceLink, EventLog, PtyPeer, SsiPeer, sleep, until } from './helpers.js';

const peers: PtyPeer[] = [];
const scanners: Scanner[] = [];
let link: DeviceLink | undefined;

afterEach(async () => {
  for (const s of scanners.splice(0)) await s.close();
  for (const p of peers.splice(0)) p.vanish();
  link?.remove();
  link = undefined;
});

function newPeer(): PtyPeer {
  const p = new PtyPeer();
  peers.push(p);
  return p;
}

function newScanner(...args: ConstructorParameters<typeof Scanner>): Scanner {
  const s = new Scanner(...args);
  scanners.push(s);
  return s;
}

describe('Scanner claim', () => {
  it('refuses a second claim of the same path while the first holds it, then grants it after release', async () => {
    const p = newPeer();
    link = new DeviceLink(p.ptsPath);
    const first = newScanner({ path: link.path, commandSet: 'none' });
    const second = newScanner({ path: link.path, commandSet: 'none' });
    await first.open();
    await first.claim(0);
    await second.open();
    const refused = await second.claim(0).catch((e: unknown) => e);
    expect(refused).toMatchObject({ name: 'UposException', errorCode: UposError.E_TIMEOUT });
    expect(String((refused as Error).message)).toMatch(/claimed by another/);
    await expect(second.setDeviceEnabled(true)).rejects.toMatchObject({ errorCode: UposError.E_CLAIMED });

    const waiting = second.claim(FOREVER);
    await sleep(100);
    await first.release();
    await waiting;
    expect(second.claimed).toBe(true);
    expect(first.claimed).toBe(false);
  });

  it('a claim waiting forever ends with E_CLOSED when the control is closed', async () => {
    const p = newPeer();
    link = new DeviceLink(p.ptsPath);
    const first = newScanner({ path: link.path, commandSet: 'none' });
    const second = newScanner({ path: link.path, commandSet: 'none' });
    await first.open();
    await first.claim(0);
    await second.open();
    const waiting = second.claim(FOREVER).catch((e: unknown) => e);
    await sleep(60);
    await second.close();
    expect(await waiting).toMatchObject({ errorCode: UposError.E_CLOSED });
  });

  it('claim of a path whose device is gone is E_NOHARDWARE', async () => {
    const p = newPeer();
    link = new DeviceLink(p.ptsPath);
    const s = newScanner({ path: link.path, commandSet: 'none' });
    await s.open();
    link.retarget('/dev/null-not-a-device');
    await expect(s.claim(0)).rejects.toMatchObject({ errorCode: UposError.E_NOHARDWARE });
  });
});

describe('Scanner lost and regained port', () => {
  it('plain serial: ErrorEvent + SUE_POWER_OFF_OFFLINE on unplug, SUE_POWER_ONLINE and data on replug', async () => {
    const p1 = newPeer();
    link = new DeviceLink(p1.ptsPath);
    const s = newScanner({
      path: link.path,
      commandSet: 'none',
      reopenIntervalMs: 50,
      healthCheckIntervalMs: 50,
    });
    const log = new EventLog(s);
    await s.open();
    await s.claim(1000);
    s.powerNotify = PowerNotify.PN_ENABLED;
    await s.setDeviceEnabled(true);
    s.decodeData = true;
    s.dataEventEnabled = true;
    await until('online', () => log.statuses.includes(StatusUpdate.SUE_POWER_ONLINE));
    expect(s.powerState).toBe(PowerState.PS_ONLINE);
    await p1.write(']E04901234567894\r\n');
    await log.waitData(1);

    p1.vanish();
    await until('offline', () => log.statuses.includes(StatusUpdate.SUE_POWER_OFF_OFFLINE));
    await until('error event', () => log.errors.length === 1);
    expect(log.errors[0]).toMatchObject({ errorCode: UposError.E_NOHARDWARE, locus: ErrorLocus.EL_INPUT });
    expect(s.powerState).toBe(PowerState.PS_OFF_OFFLINE);
    expect(s.deviceEnabled).toBe(true);

    const p2 = newPeer();
    link.retarget(p2.ptsPath);
    await until(
      'online again',
      () => log.statuses.filter((x) => x === StatusUpdate.SUE_POWER_ONLINE).length === 2,
    );
    expect(log.statuses).toEqual([
      StatusUpdate.SUE_POWER_ONLINE,
      StatusUpdate.SUE_POWER_OFF_OFFLINE,
      StatusUpdate.SUE_POWER_ONLINE,
    ]);
    await p2.write(']Q1after replug\r\n');
    await log.waitData(2);
    expect(log.data[1]).toMatchObject({ label: 'after replug', type: ScanDataType.QRCODE });
  });

  it('SSI: the replugged decoder is configured again before SUE_POWER_ONLINE', async () => {
    const p1 = newPeer();
    const d1 = new SsiPeer(p1);
    link = new DeviceLink(p1.ptsPath);
    const s = newScanner({
      path: link.path,
      commandSet: 'ssi',
      reopenIntervalMs: 50,
      healthCheckIntervalMs: 50,
    });
    const log = new EventLog(s);
    await s.open();
    await s.claim(1000);
    s.powerNotify = PowerNotify.PN_ENABLED;
    await s.setDeviceEnabled(true);
    s.decodeData = true;
    s.dataEventEnabled = true;
    expect(d1.count(SsiOpcode.SCAN_ENABLE)).toBe(1);

    p1.vanish();
    await until('offline', () => log.statuses.includes(StatusUpdate.SUE_POWER_OFF_OFFLINE));
    const p2 = newPeer();
    const d2 = new SsiPeer(p2);
    link.retarget(p2.ptsPath);
    await until(
      'online again',
      () => log.statuses.filter((x) => x === StatusUpdate.SUE_POWER_ONLINE).length === 2,
    );
    expect(d2.count(SsiOpcode.PARAM_SEND)).toBe(1);
    expect(d2.count(SsiOpcode.SCAN_ENABLE)).toBe(1);
    await d2.send(
      ssiPacket(SsiOpcode.DECODE_DATA, SsiSource.DECODER, [0x0b, ...Buffer.from(']E04901234567894')]),
    );
    await log.waitData(1);
    expect(log.data[0]!.label).toBe('4901234567894');
  });

  it('without PowerNotify the loss is still an ErrorEvent, and the driver still reconnects', async () => {
    const p1 = newPeer();
    link = new DeviceLink(p1.ptsPath);
    const s = newScanner({
      path: link.path,
      commandSet: 'none',
      reopenIntervalMs: 50,
      healthCheckIntervalMs: 50,
    });
    const log = new EventLog(s);
    await s.open();
    await s.claim(1000);
    await s.setDeviceEnabled(true);
    s.dataEventEnabled = true;
    p1.vanish();
    await until('error event', () => log.errors.length === 1);
    const p2 = newPeer();
    link.retarget(p2.ptsPath);
    await log.waitTrace(/reopened/);
    await p2.write(']E04901234567894\r\n');
    await log.waitData(1);
    expect(log.statuses).toEqual([]);
  });

  it('an offline device can be enabled with PowerNotify on, and comes online when plugged', async () => {
    const p1 = newPeer();
    link = new DeviceLink(p1.ptsPath);
    const s = newScanner({
      path: link.path,
      commandSet: 'none',
      reopenIntervalMs: 50,
      healthCheckIntervalMs: 50,
    });
    const log = new EventLog(s);
    await s.open();
    await s.claim(1000);
    p1.vanish();
    await log.waitTrace(/port lost/);
    s.powerNotify = PowerNotify.PN_ENABLED;
    await s.setDeviceEnabled(true);
    expect(s.powerState).toBe(PowerState.PS_OFF_OFFLINE);
    const p2 = newPeer();
    link.retarget(p2.ptsPath);
    await until('online', () => log.statuses.includes(StatusUpdate.SUE_POWER_ONLINE));
    expect(log.statuses).toEqual([StatusUpdate.SUE_POWER_OFF_OFFLINE, StatusUpdate.SUE_POWER_ONLINE]);
  });
});
