/**
 * An IR device twin on the bench (`emu:ir/<nickname>?maxBaud=…&seed=…`, or the phone's IR port): its
 * endpoint is a serial path a terminal opens with serialport, as it would open a USB IrDA dongle.
 * Actions: faults, unplug/replug, put-object/get-object on the OBEX store.
 */
import { z } from 'zod';
import type { Clock } from '../../firmware-sim/clock.js';
import { IrDeviceTwin, type IrTwinEvent } from '../../devices/ir/ir-twin.js';
import { BAUD_RATES } from '../../devices/ir/irlap/params.js';
import type { ObexServerOptions } from '../../devices/ir/obex/server.js';
import type { IrFrameFaults } from '../../devices/ir/frame-faults.js';
import type { SerialCaptureSink } from '../../devices/serial/port.js';
import type { IrFrameDirection } from '../../devices/ir/endpoint.js';
import type { FaultsConfig } from './bench-file.js';
import { checkOptions, invalidBody, serialLinkActions } from './port-actions.js';
import {
  ActionError,
  DeviceEvents,
  type BenchDevice,
  type BenchEvent,
  type DeviceSummary,
} from './device.js';

export const IR_OPTIONS = ['maxBaud', 'seed', 'frameCorruptRate', 'frameDropRate'] as const;

export interface IrTwinDeviceOptions {
  name: string;
  /** Discovery nickname. */
  nickname: string;
  /** `maxBaud`, `seed` from the transport string. */
  options?: Record<string, string>;
  transportText: string;
  clock: Clock;
  runtimeDir: string;
  faults?: FaultsConfig | undefined;
  capture?: SerialCaptureSink | undefined;
  onFrame?: (direction: IrFrameDirection, frame: Uint8Array) => void;
  obex?: ObexServerOptions;
}

const PutObjectBody = z
  .object({
    name: z.string().min(1),
    type: z.string().optional(),
    folder: z.string().optional(),
    base64: z.string().optional(),
    text: z.string().optional(),
  })
  .strict()
  .refine((b) => (b.base64 === undefined) !== (b.text === undefined), 'give either base64 or text');
const GetObjectBody = z.object({ name: z.string().min(1), folder: z.string().optional() }).strict();

export async function createIrTwin(o: IrTwinDeviceOptions): Promise<IrTwinDevice> {
  const opts = o.options ?? {};
  checkOptions(o.transportText, opts, IR_OPTIONS);
  const maxBaud = opts['maxBaud'] === undefined ? 115200 : Number(opts['maxBaud']);
  if (!(BAUD_RATES as readonly number[]).includes(maxBaud) || maxBaud < 9600 || maxBaud > 115200) {
    throw new Error(`${o.transportText}: maxBaud: expected one of 9600, 19200, 38400, 57600, 115200`);
  }
  const seed = opts['seed'] === undefined ? undefined : Number(opts['seed']);
  if (seed !== undefined && !Number.isInteger(seed))
    throw new Error(`${o.transportText}: seed: expected an integer`);
  const frameFaults: IrFrameFaults = {};
  for (const [opt, key] of [
    ['frameCorruptRate', 'corruptRate'],
    ['frameDropRate', 'dropRate'],
  ] as const) {
    if (opts[opt] === undefined) continue;
    const v = Number(opts[opt]);
    if (!(v >= 0 && v <= 1))
      throw new Error(`${o.transportText}: ${opt}: expected a probability from 0 to 1`);
    frameFaults[key] = v;
  }
  const { seed: faultSeed, ...faults } = o.faults ?? {};
  const twinSeed = seed ?? faultSeed;
  const twin = new IrDeviceTwin({
    name: o.name,
    nickname: o.nickname,
    clock: o.clock,
    runtimeDir: o.runtimeDir,
    maxBaud,
    faults,
    frameFaults,
    ...(twinSeed !== undefined ? { seed: twinSeed } : {}),
    ...(o.capture ? { capture: o.capture } : {}),
    ...(o.onFrame ? { onFrame: o.onFrame } : {}),
    ...(o.obex ? { obex: o.obex } : {}),
  });
  await twin.open();
  return new IrTwinDevice(o.name, o.transportText, twin);
}

export class IrTwinDevice implements BenchDevice {
  readonly actions: Record<string, (body: unknown) => Promise<unknown>>;
  private readonly events: DeviceEvents;

  constructor(
    readonly name: string,
    private readonly transportText: string,
    readonly twin: IrDeviceTwin,
  ) {
    this.events = new DeviceEvents(name);
    twin.onEvent((e: IrTwinEvent) => {
      const { type, ...fields } = e;
      this.events.emit(type, fields);
    });
    this.actions = {
      ...serialLinkActions(twin.port, this.events),
      'put-object': async (body) => {
        const parsed = PutObjectBody.safeParse(body);
        if (!parsed.success) throw invalidBody('put-object', parsed.error);
        const b = parsed.data;
        const bytes = b.base64 !== undefined ? Buffer.from(b.base64, 'base64') : Buffer.from(b.text!, 'utf8');
        twin.store.put(b.folder ?? '', { name: b.name, body: bytes, ...(b.type ? { type: b.type } : {}) });
        return { name: b.name, size: bytes.length };
      },
      'get-object': async (body) => {
        const parsed = GetObjectBody.safeParse(body);
        if (!parsed.success) throw invalidBody('get-object', parsed.error);
        const obj = twin.store.get(parsed.data.folder ?? '', parsed.data.name);
        if (!obj) throw new ActionError(`get-object: no object named ${parsed.data.name}`, 404);
        return {
          name: obj.name,
          type: obj.type,
          size: obj.body.length,
          base64: Buffer.from(obj.body).toString('base64'),
        };
      },
    };
  }

  summary(): DeviceSummary {
    const endpoint: DeviceSummary['endpoint'] = { transport: 'serial', path: this.twin.path };
    if (this.twin.port.ptsPath) endpoint.pts = this.twin.port.ptsPath;
    return {
      name: this.name,
      role: this.name,
      kind: 'ir',
      transport: this.transportText,
      emulated: true,
      endpoint,
    };
  }

  state(): Record<string, unknown> {
    const station = this.twin.endpoint.station;
    return {
      nickname: this.twin.nickname,
      path: this.twin.path,
      plugged: this.twin.port.plugged,
      connected: station.connected,
      baudRate: station.lineSetting.baudRate,
      qos: station.qos ?? null,
      stats: this.twin.endpoint.stats,
      objects: this.twin.store.list().map((o) => ({ name: o.name, type: o.type, size: o.body.length })),
      faults: this.twin.port.faults,
      frameFaults: { ...this.twin.frameFaults.current, ...this.twin.frameFaults.stats },
    };
  }

  onEvent(listener: (event: BenchEvent) => void): void {
    this.events.on(listener);
  }

  async close(): Promise<void> {
    this.twin.close();
  }
}
