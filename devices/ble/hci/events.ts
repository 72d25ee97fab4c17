/**
 * HCI events a controller sends (Vol 4 Part E, 7.7), as typed values with an encoder and a decoder.
 * Advertising reports carry one report per event, where the specification's per-field arrays and the
 * per-report layout that noble parses coincide.
 */
import { EventCode, HciStatus, LeSubevent } from './constants.js';
import {
  addressToBytes,
  addressToString,
  layoutSize,
  readLayout,
  writeLayout,
  type Layout,
  type Struct,
} from './fields.js';
import { encodeH4 } from './packets.js';

const u8 = 'u8' as const;
const u16 = 'u16' as const;
const addr = 'addr' as const;

export const EVENT_LAYOUTS = {
  DisconnectionComplete: [
    ['status', u8],
    ['connectionHandle', u16],
    ['reason', u8],
  ],
  EncryptionChange: [
    ['status', u8],
    ['connectionHandle', u16],
    ['encryptionEnabled', u8],
  ],
  CommandStatus: [
    ['status', u8],
    ['numHciCommandPackets', u8],
    ['commandOpcode', u16],
  ],
  HardwareError: [['hardwareCode', u8]],
  DataBufferOverflow: [['linkType', u8]],
  EncryptionKeyRefreshComplete: [
    ['status', u8],
    ['connectionHandle', u16],
  ],
} as const satisfies Record<string, Layout>;

export const LE_LAYOUTS = {
  LeConnectionComplete: [
    ['status', u8],
    ['connectionHandle', u16],
    ['role', u8],
    ['peerAddressType', u8],
    ['peerAddress', addr],
    ['connectionInterval', u16],
    ['peripheralLatency', u16],
    ['supervisionTimeout', u16],
    ['centralClockAccuracy', u8],
  ],
  LeConnectionUpdateComplete: [
    ['status', u8],
    ['connectionHandle', u16],
    ['connectionInterval', u16],
    ['peripheralLatency', u16],
    ['supervisionTimeout', u16],
  ],
  LeLongTermKeyRequest: [
    ['connectionHandle', u16],
    ['randomNumber', { bytes: 8 }],
    ['encryptedDiversifier', u16],
  ],
} as const satisfies Record<string, Layout>;

const SUBEVENT = {
  LeConnectionComplete: LeSubevent.ConnectionComplete,
  LeConnectionUpdateComplete: LeSubevent.ConnectionUpdateComplete,
  LeLongTermKeyRequest: LeSubevent.LongTermKeyRequest,
} as const;

type Fixed = {
  [N in keyof typeof EVENT_LAYOUTS]: { name: N } & Struct<(typeof EVENT_LAYOUTS)[N]>;
}[keyof typeof EVENT_LAYOUTS];
type LeFixed = {
  [N in keyof typeof LE_LAYOUTS]: { name: N } & Struct<(typeof LE_LAYOUTS)[N]>;
}[keyof typeof LE_LAYOUTS];

export interface AdvertisingReport {
  eventType: number;
  addressType: number;
  address: string;
  data: Buffer;
  rssi: number;
}

export type HciEvent =
  | Fixed
  | LeFixed
  | { name: 'CommandComplete'; numHciCommandPackets: number; commandOpcode: number; returnParameters: Buffer }
  | { name: 'NumberOfCompletedPackets'; handles: { connectionHandle: number; numCompletedPackets: number }[] }
  | { name: 'LeAdvertisingReport'; report: AdvertisingReport };

/** Encodes a typed event as an H4 packet. Throws RangeError on values that do not fit (a caller's bug). */
export function encodeEvent(event: HciEvent): Buffer {
  let code: number;
  let params: Buffer;
  switch (event.name) {
    case 'CommandComplete': {
      const head = Buffer.alloc(3);
      head[0] = event.numHciCommandPackets;
      head.writeUInt16LE(event.commandOpcode, 1);
      code = EventCode.CommandComplete;
      params = Buffer.concat([head, event.returnParameters]);
      break;
    }
    case 'NumberOfCompletedPackets': {
      params = Buffer.alloc(1 + 4 * event.handles.length);
      params[0] = event.handles.length;
      event.handles.forEach((h, i) => {
        params.writeUInt16LE(h.connectionHandle, 1 + 4 * i);
        params.writeUInt16LE(h.numCompletedPackets, 3 + 4 * i);
      });
      code = EventCode.NumberOfCompletedPackets;
      break;
    }
    case 'LeAdvertisingReport': {
      const r = event.report;
      if (r.data.length > 31) throw new RangeError('advertising data longer than 31 octets');
      params = Buffer.concat([
        Buffer.from([LeSubevent.AdvertisingReport, 1, r.eventType, r.addressType]),
        addressToBytes(r.address),
        Buffer.from([r.data.length]),
        r.data,
        Buffer.from([r.rssi & 0xff]),
      ]);
      code = EventCode.LeMeta;
      break;
    }
    case 'LeConnectionComplete':
    case 'LeConnectionUpdateComplete':
    case 'LeLongTermKeyRequest': {
      const { name, ...rest } = event;
      const layout = LE_LAYOUTS[name] as Layout;
      params = Buffer.concat([Buffer.from([SUBEVENT[name]]), writeLayout(layout, rest as Struct<Layout>)]);
      code = EventCode.LeMeta;
      break;
    }
    default: {
      const { name, ...rest } = event;
      const layout = EVENT_LAYOUTS[name] as Layout;
      params = writeLayout(layout, rest as Struct<Layout>);
      code = EventCode[name];
    }
  }
  return encodeH4({ type: 'event', code, params });
}

export type EventDecodeResult = { ok: true; event: HciEvent } | { ok: false; status: number; reason: string };

const bad = (reason: string): EventDecodeResult => ({
  ok: false,
  status: HciStatus.InvalidHciCommandParameters,
  reason,
});

function fixed<L extends Layout>(layout: L, params: Buffer, at: number): Struct<L> | undefined {
  return params.length - at === layoutSize(layout) ? readLayout(layout, params, at) : undefined;
}

/** Decodes the parameters of an event (a host's view); never throws. */
export function decodeEvent(code: number, params: Buffer): EventDecodeResult {
  if (code === EventCode.CommandComplete) {
    if (params.length < 3) return bad('Command Complete shorter than 3 octets');
    return {
      ok: true,
      event: {
        name: 'CommandComplete',
        numHciCommandPackets: params[0]!,
        commandOpcode: params.readUInt16LE(1),
        returnParameters: Buffer.from(params.subarray(3)),
      },
    };
  }
  if (code === EventCode.NumberOfCompletedPackets) {
    const n = params[0];
    if (n === undefined || params.length !== 1 + 4 * n)
      return bad('Number Of Completed Packets with a wrong length');
    const handles = [];
    for (let i = 0; i < n; i++) {
      handles.push({
        connectionHandle: params.readUInt16LE(1 + 4 * i),
        numCompletedPackets: params.readUInt16LE(3 + 4 * i),
      });
    }
    return { ok: true, event: { name: 'NumberOfCompletedPackets', handles } };
  }
  if (code === EventCode.LeMeta) {
    const sub = params[0];
    if (sub === LeSubevent.AdvertisingReport) {
      if (params.length < 11 || params[1] !== 1)
        return bad('advertising report: only single reports are decoded');
      const len = params[10]!;
      if (params.length !== 12 + len || len > 31) return bad('advertising report with a wrong data length');
      return {
        ok: true,
        event: {
          name: 'LeAdvertisingReport',
          report: {
            eventType: params[2]!,
            addressType: params[3]!,
            address: addressToString(params.subarray(4, 10)),
            data: Buffer.from(params.subarray(11, 11 + len)),
            rssi: params.readInt8(11 + len),
          },
        },
      };
    }
    for (const name of Object.keys(SUBEVENT) as (keyof typeof SUBEVENT)[]) {
      if (SUBEVENT[name] !== sub) continue;
      const v = fixed(LE_LAYOUTS[name], params, 1);
      return v ? { ok: true, event: { name, ...v } as HciEvent } : bad(`${name} with a wrong length`);
    }
    return bad(`unknown LE subevent ${sub}`);
  }
  for (const name of Object.keys(EVENT_LAYOUTS) as (keyof typeof EVENT_LAYOUTS)[]) {
    if (EventCode[name] !== code) continue;
    const v = fixed(EVENT_LAYOUTS[name], params, 0);
    return v ? { ok: true, event: { name, ...v } as HciEvent } : bad(`${name} with a wrong length`);
  }
  return bad(`unknown event code 0x${code.toString(16)}`);
}
