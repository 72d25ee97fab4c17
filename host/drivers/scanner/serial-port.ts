/** A scanner on a serial path, opened with `serialport` exactly as /dev/ttyACM0 would be. */
import fs from 'node:fs';
import { SerialPort } from 'serialport';
import type { Clock, TimerHandle } from '../../../firmware-sim/clock.js';
import {
  PortBusyError,
  describeError,
  type PortConnection,
  type PortHandlers,
  type ScannerPort,
} from './port.js';
import { UposError, UposException } from './upos.js';

export interface SerialLineSettings {
  baudRate: number;
  dataBits: 5 | 6 | 7 | 8;
  parity: 'none' | 'even' | 'odd' | 'mark' | 'space';
  stopBits: 1 | 1.5 | 2;
}

function isLockError(err: unknown): boolean {
  return err instanceof Error && /cannot lock port|EWOULDBLOCK|EAGAIN/i.test(err.message);
}

export class SerialScannerPort implements ScannerPort {
  readonly kind = 'serial' as const;

  constructor(
    readonly path: string,
    private readonly line: SerialLineSettings,
    private readonly clock: Clock,
    private readonly healthCheckIntervalMs: number,
  ) {}

  async check(): Promise<void> {
    let stat: fs.Stats;
    try {
      stat = await fs.promises.stat(this.path);
    } catch (err) {
      throw new UposException(UposError.E_NOEXIST, `${this.path}: ${describeError(err)}`, 0, { cause: err });
    }
    if (!stat.isCharacterDevice()) {
      throw new UposException(UposError.E_NOEXIST, `${this.path} is not a serial (character) device`);
    }
  }

  connect(handlers: PortHandlers): Promise<PortConnection> {
    let port: SerialPort;
    try {
      // lock: serialport's flock keeps other processes out while the Scanner is claimed.
      port = new SerialPort({ path: this.path, ...this.line, autoOpen: false, lock: true });
    } catch (err) {
      return Promise.reject(new UposException(UposError.E_ILLEGAL, describeError(err), 0, { cause: err }));
    }
    let gone = false;
    let healthTimer: TimerHandle | undefined;
    const lose = (err: unknown): void => {
      if (gone) return;
      gone = true;
      this.clock.clearTimeout(healthTimer);
      // Closing also ends serialport's read loop on a hung-up tty.
      if (port.isOpen) port.close(() => {});
      handlers.lost(err);
    };
    /**
     * serialport notices a hang-up only when it is polling for input at that moment. A tty hung up while a
     * read is in flight reads 0 bytes forever, which serialport's read loop retries without end. A hung-up
     * tty fails every ioctl with EIO, so a periodic TCGETS (getBaudRate) finds it.
     */
    const healthCheck = (): void => {
      healthTimer = this.clock.setTimeout(() => {
        const binding = port.port;
        if (gone || !binding) return;
        binding.getBaudRate().then(
          () => {
            if (!gone) healthCheck();
          },
          (err: unknown) => lose(err),
        );
      }, this.healthCheckIntervalMs);
    };
    // Never leave an 'error' without a listener: it would be thrown.
    port.on('error', (err) => {
      if (!port.isOpen) lose(err);
    });
    return new Promise<PortConnection>((resolve, reject) => {
      port.open((err) => {
        if (err) {
          gone = true;
          reject(isLockError(err) ? new PortBusyError(err.message, { cause: err }) : err);
          return;
        }
        port.on('data', (chunk: Buffer) => {
          if (!gone) handlers.data(chunk);
        });
        port.on('close', (e: unknown) => lose(e ?? new Error('port closed')));
        port.on('end', () => lose(new Error('end of input')));
        healthCheck();
        resolve({
          write: (bytes) =>
            new Promise<void>((res, rej) => {
              if (gone) {
                rej(new UposException(UposError.E_NOHARDWARE, `${this.path} is not connected`));
                return;
              }
              port.write(Buffer.from(bytes), (e) => (e ? rej(e) : res()));
            }),
          close: () => {
            gone = true;
            this.clock.clearTimeout(healthTimer);
            if (!port.isOpen) return Promise.resolve();
            return new Promise<void>((res) => port.close(() => res()));
          },
        });
      });
    });
  }
}
