/** A real serial device on the bench: the bench only names it; the host opens it as it is. */
import { existsSync, realpathSync } from 'node:fs';
import type { BenchDevice, DeviceSummary } from './device.js';
import type { SerialTransport } from './transport.js';

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
