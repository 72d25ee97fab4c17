/**
 * Test bench for the BLE suites: two virtual controllers on one air, unmodified bleno (peripheral, the
 * phone) on one and unmodified noble (central, the POS) on the other, loaded through the seam.
 */
import type { EventEmitter } from 'node:events';
import { SystemClock, VirtualClock, type Clock } from '../../../firmware-sim/clock.js';
import { Air } from '../../../devices/ble/air.js';
import { VirtualController, type TraceRecord } from '../../../devices/ble/controller.js';
import { createNoble, loadBleno, type Bleno, type Noble } from '../../../devices/ble/seam/install.js';
import { unregisterVirtualController } from '../../../devices/ble/seam/registry.js';

export const SERVICE = '7d2e0001f3c84a8b9b1e2b6c1a4e5d01';
export const PUBLIC_CHR = '7d2e0002f3c84a8b9b1e2b6c1a4e5d01';
export const SECURE_CHR = '7d2e0003f3c84a8b9b1e2b6c1a4e5d01';
export const WRITE_CHR = '7d2e0004f3c84a8b9b1e2b6c1a4e5d01';
export const NOTIFY_CHR = '7d2e0005f3c84a8b9b1e2b6c1a4e5d01';

export type Peripheral = import('@abandonware/noble').Peripheral;

export interface BleBench {
  clock: Clock;
  air: Air;
  phone: VirtualController;
  pos: VirtualController;
  bleno: Bleno;
  noble: Noble;
  traces: { phone: TraceRecord[]; pos: TraceRecord[] };
  /** Values written by the central, as the phone's GATT server received them. */
  written: Buffer[];
  /** Send a notification to a subscribed central. */
  notify(value: Buffer): void;
  close(): Promise<void>;
}

export function once<T extends unknown[]>(
  emitter: EventEmitter | Noble | Bleno,
  event: string,
  accept?: (...args: T) => boolean,
): Promise<T> {
  const e = emitter as EventEmitter;
  return new Promise((resolve) => {
    const handler = (...args: unknown[]) => {
      if (accept && !accept(...(args as T))) return;
      e.removeListener(event, handler);
      resolve(args as T);
    };
    e.on(event, handler);
  });
}

export async function startBleBench(
  options: { phoneAt?: { x: number; y: number }; wallClock?: boolean } = {},
): Promise<BleBench> {
  const clock = options.wallClock ? new SystemClock() : new VirtualClock();
  const air = new Air({ clock });
  const phone = new VirtualController({
    air,
    address: '5a:00:00:00:00:01',
    position: options.phoneAt ?? { x: 1, y: 0 },
  });
  const pos = new VirtualController({ air, address: '5a:00:00:00:00:02', position: { x: 0, y: 0 } });
  const traces = { phone: [] as TraceRecord[], pos: [] as TraceRecord[] };
  phone.on('trace', (t: TraceRecord) => traces.phone.push(t));
  pos.on('trace', (t: TraceRecord) => traces.pos.push(t));

  const bleno = loadBleno(phone);
  const written: Buffer[] = [];
  let subscriber: ((data: Buffer) => void) | undefined;
  const b = bleno as unknown as {
    PrimaryService: new (o: object) => unknown;
    Characteristic: new (o: object) => unknown;
    Characteristic_RESULT_SUCCESS?: number;
  };
  const services = [
    new b.PrimaryService({
      uuid: SERVICE,
      characteristics: [
        new b.Characteristic({ uuid: PUBLIC_CHR, properties: ['read'], value: Buffer.from('public') }),
        new b.Characteristic({
          uuid: SECURE_CHR,
          properties: ['read'],
          secure: ['read'],
          value: Buffer.from('user-0042'),
        }),
        new b.Characteristic({
          uuid: WRITE_CHR,
          properties: ['write'],
          onWriteRequest: (
            data: Buffer,
            _offset: number,
            _noResponse: boolean,
            callback: (result: number) => void,
          ) => {
            written.push(Buffer.from(data));
            callback(0);
          },
        }),
        new b.Characteristic({
          uuid: NOTIFY_CHR,
          properties: ['notify'],
          onSubscribe: (_max: number, update: (data: Buffer) => void) => {
            subscriber = update;
          },
          onUnsubscribe: () => {
            subscriber = undefined;
          },
        }),
      ],
    }),
  ];
  const advertising = once<[Error | null]>(bleno, 'advertisingStart');
  bleno.on('stateChange', (state: string) => {
    if (state === 'poweredOn') bleno.startAdvertising('benchtwin-phone', [SERVICE]);
  });
  const [advError] = await advertising;
  if (advError) throw advError;
  await new Promise<void>((resolve) => bleno.setServices(services as never, () => resolve()));

  const noble = createNoble(pos);
  if ((noble as unknown as { state: string }).state !== 'poweredOn')
    await once(noble, 'stateChange', (s: string) => s === 'poweredOn');

  return {
    clock,
    air,
    phone,
    pos,
    bleno,
    noble,
    traces,
    written,
    notify: (value) => subscriber?.(value),
    close: async () => {
      noble.removeAllListeners('discover');
      await noble.stopScanningAsync().catch(() => undefined);
      bleno.stopAdvertising();
      phone.close();
      pos.close();
      air.close();
      unregisterVirtualController(phone);
      unregisterVirtualController(pos);
    },
  };
}

/** Scan for the phone's service and return the first peripheral noble reports. */
export async function discoverPhone(bench: BleBench): Promise<Peripheral> {
  const found = once<[Peripheral]>(bench.noble, 'discover');
  await bench.noble.startScanningAsync([SERVICE], false);
  const [peripheral] = await found;
  await bench.noble.stopScanningAsync();
  return peripheral;
}

/** H4 packets of a trace, as hex, in one direction. */
export function packets(trace: TraceRecord[], direction: TraceRecord['direction']): string[] {
  return trace.filter((t) => t.direction === direction).map((t) => t.packet.toString('hex'));
}
