/** The HID bus: one way to open real (node-hid) and emulated HID devices by path. */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../firmware-sim/clock.js';
import {
  HidBusError,
  hidIdsPath,
  listHidDevices,
  openHidDevice,
  parseHidPath,
} from '../../../devices/hid/hid-bus.js';
import { HidScannerTwin } from '../../../devices/hid/scanner-twin.js';
import { getScannerProfile } from '../../../devices/profiles/scanners.js';

describe('HID paths', () => {
  it('parses hid:<vid>:<pid>[:<serial>], hidraw paths and emu:hid/<name>', () => {
    expect(parseHidPath('hid:0c2e:0b61')).toEqual({
      kind: 'ids',
      path: 'hid:0c2e:0b61',
      vendorId: 0x0c2e,
      productId: 0x0b61,
    });
    expect(parseHidPath('hid:0c2e:0b61:19000BT0001').serialNumber).toBe('19000BT0001');
    expect(parseHidPath('/dev/hidraw3')).toEqual({ kind: 'path', path: '/dev/hidraw3' });
    expect(parseHidPath('emu:hid/scanner')).toEqual({ kind: 'emulated', path: 'emu:hid/scanner' });
  });

  it('names what it expected for a malformed path', () => {
    for (const bad of ['hid:xyz:0b61', 'hid:0c2e', 'hid:12345:1', 'usb:1', 'emu:hid/', '']) {
      expect(() => parseHidPath(bad), bad).toThrow(HidBusError);
    }
    expect(() => parseHidPath('hid:0c2e')).toThrow(/hid:<vid>:<pid>\[:<serial>\]/);
  });
});

describe('HID bus', () => {
  it('lists and opens an emulated device until it is unplugged', async () => {
    const twin = new HidScannerTwin({
      name: `bus-${process.pid}`,
      profile: getScannerProfile('honeywell-1900'),
      mode: 'hid-pos',
      clock: new VirtualClock(),
    });
    try {
      const listed = (await listHidDevices()).find((d) => d.path === twin.path);
      expect(listed?.usagePage).toBe(0x8c);
      expect(hidIdsPath(listed!)).toBe('hid:0c2e:0b61:19000BT0001');
      const handle = await openHidDevice(twin.path);
      expect((await handle.getReportDescriptor()).equals(Buffer.from(twin.descriptorBytes))).toBe(true);
      await handle.close();
      twin.unplug();
      await expect(openHidDevice(twin.path)).rejects.toMatchObject({ reason: 'not-found' });
      twin.replug();
      const again = await openHidDevice(twin.path);
      expect((await again.getDeviceInfo()).productId).toBe(0x0b61);
      await again.close();
    } finally {
      twin.close();
    }
  });

  it('answers a real id nobody has with not-found (node-hid asked, nothing matches)', async () => {
    await expect(openHidDevice('hid:ffff:fffe')).rejects.toMatchObject({ reason: 'not-found' });
  });
});
