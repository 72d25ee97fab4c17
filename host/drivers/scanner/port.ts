/**
 * The seam between the Scanner device control and the operating-system device it reads: a serial port,
 * a HID device (node-hid's surface) or a keyboard's key events. The Scanner owns the UPOS state; a port
 * opens, carries bytes (serial chunks, or one HID report per `data` call) and tells when it is gone.
 */
export interface PortHandlers {
  data(chunk: Buffer): void;
  /** The device went away (unplugged, hung up, I/O error). Called at most once per connection. */
  lost(err: unknown): void;
}

export interface PortConnection {
  write(bytes: Uint8Array): Promise<void>;
  close(): Promise<void>;
  /** HID devices: the report descriptor read at open. */
  readonly reportDescriptor?: Uint8Array;
}

export interface ScannerPort {
  readonly path: string;
  /** What kind of bytes flow: serial chunks, HID reports, or boot-keyboard reports made from key events. */
  readonly kind: 'serial' | 'hid' | 'keys';
  /** open(): the path names a device of this kind, or a UposException E_NOEXIST. */
  check(): Promise<void>;
  /**
   * Opens the device. Rejects with `PortBusyError` when someone else holds it (claim retries those),
   * any other error when it cannot be opened.
   */
  connect(handlers: PortHandlers): Promise<PortConnection>;
}

export class PortBusyError extends Error {
  override readonly name = 'PortBusyError';
}

export function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
