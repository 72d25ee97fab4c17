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
