/**
 * The Scanner over USB HID POS (usage page 0x8C): Scanned Data input reports, found through the device's
 * own report descriptor, reassembled across continued reports into one label; the Trigger output report
 * for the good-read and error beeps. Enabling and disabling change nothing on the device: a HID POS
 * scanner reads when its trigger is pulled, and input while disabled is dropped by the Scanner.
 */
import { HidDescriptorError, parseReportDescriptor } from '../../../firmware-sim/hid/descriptor.js';
import {
  HidPosError,
  ScannedDataAssembler,
  encodeTriggerReport,
  hidPosLayout,
  type HidPosLayout,
} from '../../../firmware-sim/scanner/hid-pos.js';
import { decodeSerialLabel } from './label.js';
import type { LinkContext, ScannerLink } from './link.js';
import type { PortConnection } from './port.js';
import { UposError, UposException } from './upos.js';

export interface HidPosLinkOptions {
  maxLabelLength: number;
}

export class HidPosLink implements ScannerLink {
  private layout: HidPosLayout | undefined;
  private assembler: ScannedDataAssembler | undefined;

  constructor(
    private readonly ctx: LinkContext,
    private readonly options: HidPosLinkOptions,
  ) {}

  /** Reads the descriptor of the device just opened; a device without Scanned Data reports is refused. */
  connected(conn: PortConnection): void {
    if (!conn.reportDescriptor) {
      throw new UposException(
        UposError.E_NOHARDWARE,
        'a HID POS scanner needs a HID device (no report descriptor)',
      );
    }
    try {
      this.layout = hidPosLayout(parseReportDescriptor(conn.reportDescriptor));
    } catch (err) {
      if (err instanceof HidDescriptorError || err instanceof HidPosError) {
        throw new UposException(UposError.E_NOHARDWARE, `not a HID POS barcode scanner: ${err.message}`, 0, {
          cause: err,
        });
      }
      throw err;
    }
    this.assembler = new ScannedDataAssembler(this.layout, { maxLabelBytes: this.options.maxLabelLength });
  }

  receive(report: Buffer): void {
    const layout = this.layout;
    const assembler = this.assembler;
    if (!layout || !assembler) return;
    const id = layout.scannedData.reportId;
    if (id !== 0 && report[0] !== id) {
      // Other input reports (status, vendor) are the device's business.
      this.ctx.trace(`input report ${report[0]} ignored`);
      return;
    }
    let label;
    try {
      label = assembler.push(report);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.ctx.inputError(UposError.E_FAILURE, 0, message);
      return;
    }
    if (!label) return;
    // ScanData as a serial scanner with AIM ids would send it: identifier, then data.
    const scanData = Buffer.concat([Buffer.from(label.aim, 'latin1'), Buffer.from(label.data)]);
    this.ctx.trace(`label of ${label.data.length} bytes in ${label.reports} report(s)`);
    this.ctx.label(scanData, decodeSerialLabel(scanData, new Uint8Array(0), 'aim'));
  }

  async configure(): Promise<void> {}
  async enableScanning(): Promise<void> {}
  async disableScanning(): Promise<void> {}

  /** The good-read or error beep through the Trigger output report (when the device has one). */
  async beep(kind: 'good-read' | 'error'): Promise<void> {
    if (!this.layout?.trigger) return;
    const report = encodeTriggerReport(
      this.layout,
      kind === 'good-read' ? { goodReadBeep: true } : { errorBeep: true },
    );
    await this.ctx.write(this.layout.trigger.reportId === 0 ? Uint8Array.of(0, ...report) : report);
  }

  reset(): void {
    this.assembler?.reset();
  }

  dispose(): void {
    this.assembler?.reset();
  }
}
