/**
 * A scanner on a HID path (`hid:<vid>:<pid>`, `/dev/hidrawN`, `emu:hid/<name>`), opened through the HID bus:
 * node-hid for real devices, the bench's emulated devices otherwise — the same HIDAsync surface either way.
 * Each `data` event is one input report as hidraw reads it.
 */
import { HidBusError, listHidDevices, openHidDevice, parseHidPath } from '../../../devices/hid/hid-bus.js';
import { describeError, type PortConnection, type PortHandlers, type ScannerPort } from './port.js';
import { UposError, UposException } from './upos.js';

export class HidScannerPort implements ScannerPort {
  readonly kind = 'hid' as const;

  constructor(readonly path: string) {}

  async check(): Promise<void> {
    let spec;
    try {
      spec = parseHidPath(this.path);
    } catch (err) {
      throw new UposException(UposError.E_NOEXIST, describeError(err), 0, { cause: err });
    }
    const devices = await listHidDevices();
    const found = devices.some((d) =>
      spec.kind === 'ids'
        ? d.vendorId === spec.vendorId &&
          d.productId === spec.productId &&
          (spec.serialNumber === undefined || d.serialNumber === spec.serialNumber)
        : d.path === spec.path,
    );
    if (!found) throw new UposException(UposError.E_NOEXIST, `${this.path}: no such HID device`);
  }

  async connect(handlers: PortHandlers): Promise<PortConnection> {
    let device;
    try {
      device = await openHidDevice(this.path);
    } catch (err) {
      if (err instanceof HidBusError) throw new Error(err.message, { cause: err });
      throw err;
    }
    let gone = false;
    const lose = (err: unknown): void => {
      if (gone) return;
      gone = true;
      device.close().catch(() => {});
      handlers.lost(err);
    };
    let reportDescriptor: Buffer;
    try {
      reportDescriptor = await device.getReportDescriptor();
    } catch (err) {
      await device.close().catch(() => {});
      throw new Error(`${this.path}: cannot read the report descriptor: ${describeError(err)}`, {
        cause: err,
      });
    }
    device.on('error', (err: unknown) => lose(err));
    device.on('data', (report: Buffer) => {
      if (!gone) handlers.data(report);
    });
    return {
      reportDescriptor,
      write: async (bytes) => {
        if (gone) throw new UposException(UposError.E_NOHARDWARE, `${this.path} is not connected`);
        await device.write(bytes);
      },
      close: async () => {
        gone = true;
        await device.close().catch(() => {});
      },
    };
  }
}
