/**
 * The seam between the Scanner device control and a command set (the scanner's wire protocol).
 * The Scanner owns the port and the UPOS state; a link turns bytes into labels and configures the scanner.
 */
import type { Clock } from '../../../firmware-sim/clock.js';
import { SerialFramer, labelStart } from './framing.js';
import { decodeSerialLabel, labelMayContain } from './label.js';
import type { DecodedLabel, SymbologyIdMode } from './label.js';
import type { PortConnection } from './port.js';
import type { UposException } from './upos.js';

export interface LinkContext {
  readonly clock: Clock;
  /** Write to the port; rejects when the port is gone (the Scanner then handles the loss). */
  write(bytes: Uint8Array): Promise<void>;
  /** A complete label arrived; the Scanner decides whether the device is enabled to take it. */
  label(scanData: Buffer, decoded: DecodedLabel): void;
  /** An input error the application must hear about (an ErrorEvent). */
  inputError(errorCode: number, errorCodeExtended: number, message: string): void;
  /** A protocol happening worth a log line: NAK sent, duplicate dropped, partial packet dropped… */
  trace(message: string): void;
}

export interface ScannerLink {
  /** Bytes from the port, in whatever chunks they came (HID: one report per call). */
  receive(chunk: Buffer): void;
  /**
   * A device was opened on the path (at claim, and again after a replug): read what it is (a HID report
   * descriptor). Throws a UposException when it is not a device this link can read.
   */
  connected?(conn: PortConnection): void;
  /** Put the scanner in the mode the driver reads (symbology ids, suffix, packet format). */
  configure(): Promise<void>;
  enableScanning(): Promise<void>;
  disableScanning(): Promise<void>;
  /** The port closed or was replaced: drop partial input and fail any transaction waiting for a reply. */
  reset(reason: UposException): void;
  dispose(): void;
}

export interface SerialLabelFormat {
  suffix: Uint8Array;
  prefix: Uint8Array;
  symbologyId: SymbologyIdMode;
  interByteTimeoutMs: number;
  suffixQuietMs?: number;
  maxLabelLength: number | undefined;
}

/** Builds the framer every serial-output command set (Honeywell, plain) reads labels with. */
export function serialLabelFramer(
  ctx: LinkContext,
  format: SerialLabelFormat,
  onOverflow: (dropped: number) => void,
): SerialFramer {
  const frameStart = labelStart(format.prefix, format.symbologyId === 'aim');
  return new SerialFramer({
    suffix: format.suffix,
    interByteTimeoutMs: format.interByteTimeoutMs,
    ...(format.suffixQuietMs !== undefined ? { suffixQuietMs: format.suffixQuietMs } : {}),
    ...(format.symbologyId === 'aim'
      ? { mayContainSuffix: (frame: Uint8Array) => labelMayContain(frame, format.prefix, format.suffix) }
      : {}),
    clock: ctx.clock,
    ...(format.maxLabelLength !== undefined ? { maxFrameLength: format.maxLabelLength } : {}),
    ...(frameStart ? { frameStart } : {}),
    onFrame: (frame) => ctx.label(frame, decodeSerialLabel(frame, format.prefix, format.symbologyId)),
    onOverflow,
  });
}

/** commandSet 'none': a scanner configured by hand (or by its menu barcodes); the driver only listens. */
export class PlainSerialLink implements ScannerLink {
  private readonly framer: SerialFramer;

  constructor(ctx: LinkContext, format: SerialLabelFormat, onOverflow: (dropped: number) => void) {
    this.framer = serialLabelFramer(ctx, format, onOverflow);
  }

  receive(chunk: Buffer): void {
    this.framer.push(chunk);
  }

  async configure(): Promise<void> {}
  async enableScanning(): Promise<void> {}
  async disableScanning(): Promise<void> {}

  reset(): void {
    this.framer.reset();
  }

  dispose(): void {
    this.framer.dispose();
  }
}
