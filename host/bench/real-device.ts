/** A real serial device on the bench: the bench only names it; the host opens it as it is. */
import { existsSync, realpathSync } from 'node:fs';
import type { BenchDevice, DeviceSummary } from './device.js';
import type { OtherTransport, SerialTransport } from './transport.js';

export class RealSerialDevice implements BenchDevice {
  readonly actions = {};

  constructor(
    private readonly name: string,
    private readonly transport: SerialTransport,
    private readonly transportText: string,
  ) {}

  summary(): DeviceSummary {
    return {
      name: this.name,
      role: this.name,
      kind: 'serial',
      transport: this.transportText,
      emulated: false,
      endpoint: { transport: 'serial', path: this.transport.path },
    };
  }

  state(): Record<string, unknown> {
    const present = existsSync(this.transport.path);
    return {
      present,
      resolved: present ? realpathSync(this.transport.path) : undefined,
      options: this.transport.options,
    };
  }

  onEvent(): void {}

  async close(): Promise<void> {}
}

/** A real card in a PC/SC reader: named by the bench; its reader state is asked of pcscd on request. */
export class RealPcscDevice implements BenchDevice {
  readonly actions: Record<string, (body: unknown) => Promise<unknown>>;

  constructor(
    private readonly name: string,
    private readonly reader: string,
    private readonly transportText: string,
  ) {
    this.actions = {
      status: async () => {
        const { listReaders } = await import('../drivers/uim/pcsc.js');
        const r = (await listReaders()).find((x) => x.name === this.reader);
        if (!r) return { present: false, cardPresent: false };
        return {
          present: true,
          cardPresent: r.cardPresent,
          atr: r.atr ? Buffer.from(r.atr).toString('hex').toUpperCase() : undefined,
        };
      },
    };
  }

  summary(): DeviceSummary {
    return {
      name: this.name,
      role: this.name,
      kind: 'smartcard',
      transport: this.transportText,
      emulated: false,
      endpoint: { transport: 'pcsc', reader: this.reader },
    };
  }

  state(): Record<string, unknown> {
    return { reader: this.reader, status: 'POST status to ask pcscd' };
  }

  onEvent(): void {}

  async close(): Promise<void> {}
}

/**
 * A real USB HID device (`hid:<vid>:<pid>[:<serial>]`) or keyboard event device (`evdev:/dev/input/…`):
 * the bench names it; the host driver opens it through node-hid or the event interface.
 */
export class RealInputDevice implements BenchDevice {
  readonly actions = {};

  constructor(
    private readonly name: string,
    private readonly transport: OtherTransport,
    private readonly transportText: string,
  ) {}

  /** The path a driver opens: `hid:…` as written, the event device's file for evdev. */
  get path(): string {
    return `${this.transport.scheme}:${this.transport.address}`;
  }

  summary(): DeviceSummary {
    return {
      name: this.name,
      role: this.name,
      kind: this.transport.scheme === 'hid' ? 'hid' : 'keyboard',
      transport: this.transportText,
      emulated: false,
      endpoint: { transport: this.transport.scheme, path: this.path },
    };
  }

  state(): Record<string, unknown> {
    return {
      ...(this.transport.scheme === 'evdev' ? { present: existsSync(this.transport.address) } : {}),
      options: this.transport.options,
    };
  }

  onEvent(): void {}

  async close(): Promise<void> {}
}
