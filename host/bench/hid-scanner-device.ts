/** A HID scanner twin on the bench (HID POS or keyboard wedge): scan, present, trigger, power-cycle. */
import type { Clock } from '../../firmware-sim/clock.js';
import { isKeyboardLayoutId, KEYBOARD_LAYOUTS } from '../../firmware-sim/scanner/keyboard-layouts.js';
import type { ScannerProfile } from '../../firmware-sim/scanner/profile.js';
import { HidScannerTwin, type HidScannerMode } from '../../devices/hid/scanner-twin.js';
import { UsbHidCapture } from '../../devices/capture/usb-hid-capture.js';
import {
  ActionError,
  DeviceEvents,
  type BenchDevice,
  type BenchEvent,
  type DeviceSummary,
} from './device.js';
import { scannerEvent, scannerUserActions } from './scanner-device.js';

export function createHidScannerTwin(o: {
  name: string;
  profile: ScannerProfile;
  mode: HidScannerMode;
  layout: string | undefined;
  transportText: string;
  clock: Clock;
  /** Record the device's USB traffic (enumeration and reports) as usbmon pcapng here. */
  captureFile?: string | undefined;
}): HidScannerTwinDevice {
  if (o.layout !== undefined && !isKeyboardLayoutId(o.layout)) {
    throw new Error(`${o.transportText}: layout=${o.layout}: expected one of ${KEYBOARD_LAYOUTS.join(', ')}`);
  }
  if (o.layout !== undefined && o.mode !== 'wedge')
    throw new Error(`${o.transportText}: layout= is an option of mode=wedge`);
  const twin = new HidScannerTwin({
    name: o.name,
    profile: o.profile,
    mode: o.mode,
    clock: o.clock,
    ...(o.layout !== undefined ? { layout: o.layout } : {}),
  });
  if (o.captureFile) {
    const info = twin.info();
    twin.setCapture(
      new UsbHidCapture({
        file: o.captureFile,
        clock: o.clock,
        function: {
          vendorId: info.vendorId,
          productId: info.productId,
          descriptor: twin.descriptorBytes,
          ...(o.mode === 'wedge' ? { boot: 'keyboard' as const } : {}),
        },
      }),
    );
  }
  return new HidScannerTwinDevice(o.name, o.transportText, twin);
}

export class HidScannerTwinDevice implements BenchDevice {
  readonly actions: Record<string, (body: unknown) => Promise<unknown>>;
  private readonly events: DeviceEvents;

  constructor(
    readonly name: string,
    private readonly transportText: string,
    readonly twin: HidScannerTwin,
  ) {
    this.events = new DeviceEvents(name);
    twin.onEvent((e) => {
      if (e.type === 'hid-reports') this.events.emit('hid-reports', { count: e.count, skipped: e.skipped });
      else this.events.emit(...scannerEvent(e));
    });
    this.actions = {
      ...scannerUserActions(twin, (type, fields) => this.events.emit(type, fields)),
      unplug: async () => {
        if (!twin.plugged) throw new ActionError('already unplugged', 409);
        twin.unplug();
        this.events.emit('unplugged', {});
        return { plugged: false };
      },
      replug: async () => {
        if (twin.plugged) throw new ActionError('already plugged in', 409);
        twin.replug();
        this.events.emit('replugged', { path: twin.path });
        return { plugged: true, path: twin.path };
      },
    };
  }

  summary(): DeviceSummary {
    return {
      name: this.name,
      role: this.name,
      kind: 'scanner',
      transport: this.transportText,
      emulated: true,
      endpoint: { transport: 'hid', path: this.twin.path },
    };
  }

  state(): Record<string, unknown> {
    const fw = this.twin.firmware;
    return {
      profile: this.twin.profile.name,
      mode: this.twin.mode,
      ...(this.twin.mode === 'wedge'
        ? { layout: this.twin.layout, hostCapsLock: this.twin.hostCapsLock }
        : {}),
      path: this.twin.path,
      plugged: this.twin.plugged,
      openHandles: this.twin.openHandles,
      reportsSent: this.twin.sent,
      scanEnabled: fw.scanEnabled,
      beeper: fw.beeper,
      led: fw.led,
    };
  }

  onEvent(listener: (event: BenchEvent) => void): void {
    this.events.on(listener);
  }

  async close(): Promise<void> {
    this.twin.close();
  }
}
