/**
 * One IrDA device's stack, end to end: SIR deframer → IrLAP station → IrLMP LM-MUX → IAS server and
 * Tiny TP → OBEX. Both the emulated device (secondary, OBEX server) and the host driver (primary,
 * OBEX client) are an IrdaEndpoint; they differ only in what they call. Bytes in and out are the
 * serial bytes an IrDA dongle exchanges with its host.
 */
import type { Clock } from '../../firmware-sim/clock.js';
import { mulberry32 } from '../serial/faults.js';
import {
  IasServer,
  iasGetValueByClass,
  standardIasDatabase,
  type IasAnswer,
  type IasDatabase,
} from './ias.js';
import { IrlmpMux, LSAP_IAS } from './irlmp.js';
import { HINT1_EXTENSION, HINT1_PDA, HINT2_OBEX, HINT2_TELEPHONY } from './irlap/frame.js';
import type { IrlapQos, NegotiatedQos } from './irlap/params.js';
import {
  IrlapStation,
  type DiscoveredDevice,
  type IrlapDisconnectReason,
  type IrlapStats,
  type IrlapTiming,
} from './irlap/station.js';
import { ObexClient } from './obex/client.js';
import { ObexPacketReader, type ObexTransport } from './obex/packet.js';
import { ObexServer, type ObexServerOptions } from './obex/server.js';
import { SirDeframer, sirWrap, type SirDeframerStats } from './sir.js';
import { TinyTpListener, ttpConnect, type TinyTpConnection, type TinyTpOptions } from './tinytp.js';

/** Where our OBEX server listens (announced through IAS, so any free LSAP would do). */
export const DEFAULT_OBEX_LSAP = 0x03;

export type IrFrameDirection = 'out' | 'in';

export interface IrdaEndpointOptions {
  clock: Clock;
  /** Discovery nickname (the device name shown by a discovering host). */
  nickname: string;
  /** Discovery hint bytes; default PDA + telephony + OBEX. */
  hints?: number[];
  /** 32-bit device address; default from the seed. */
  deviceAddress?: number;
  seed?: number;
  qos?: IrlapQos;
  timing?: Partial<IrlapTiming>;
  /** Serial bytes to send, and the baud rate they must go out at. */
  transmit(bytes: Uint8Array, baudRate: number): void;
  /** Every IrLAP frame (no FCS) sent or accepted, for captures. */
  onFrame?(direction: IrFrameDirection, frame: Uint8Array): void;
  /** Every OBEX packet sent or received over Tiny TP, for captures. */
  onObexPacket?(direction: IrFrameDirection, packet: Uint8Array): void;
  /** Serve OBEX (given a server or its options). */
  obexServer?: ObexServer | ObexServerOptions;
  obexLsap?: number;
  tinyTp?: TinyTpOptions;
  /** Largest OBEX packet we announce. */
  obexMaxPacket?: number;
}

export interface IrdaEndpointStats {
  sir: SirDeframerStats;
  irlap: IrlapStats;
  irlmpMalformed: number;
}

/** An OBEX client session over Tiny TP. */
export interface ObexSession {
  client: ObexClient;
  ttp: TinyTpConnection;
  close(): Promise<void>;
}

export class IrdaEndpoint {
  readonly station: IrlapStation;
  readonly mux: IrlmpMux;
  readonly ias: IasDatabase;
  readonly obexServer: ObexServer | undefined;
  readonly deframer = new SirDeframer();
  /** Called when the IrLAP link ends, with the reason. */
  onDisconnect: (reason: IrlapDisconnectReason) => void = () => undefined;
  /** Secondary: called when a primary connects. */
  onConnect: (peer: number) => void = () => undefined;
  /** Secondary: a primary finished a discovery (its final XID), so it now lists this device. */
  onDiscoveredBy: (primary: DiscoveredDevice) => void = () => undefined;

  constructor(private readonly options: IrdaEndpointOptions) {
    const random = mulberry32(options.seed ?? 1);
    const address = options.deviceAddress ?? (Math.floor(random() * 0xfffffffe) + 1) >>> 0;
    this.station = new IrlapStation({
      clock: options.clock,
      deviceAddress: address,
      discoveryInfo: {
        hints: options.hints ?? [HINT1_EXTENSION | HINT1_PDA, HINT2_TELEPHONY | HINT2_OBEX],
        charset: 0,
        nickname: options.nickname,
      },
      random,
      transmit: (frame, line) => {
        options.onFrame?.('out', frame);
        options.transmit(sirWrap(frame, line.additionalBofs), line.baudRate);
      },
      ...(options.qos ? { qos: options.qos } : {}),
      ...(options.timing ? { timing: options.timing } : {}),
    });
    this.mux = new IrlmpMux(this.station);
    this.station.user = {
      dataIndication: (info) => this.mux.receive(info),
      connectIndication: (peer) => this.onConnect(peer),
      discoveryIndication: (primary) => this.onDiscoveredBy(primary),
      disconnectIndication: (reason) => {
        this.mux.linkDown();
        this.onDisconnect(reason);
      },
    };
    const obexLsap = options.obexLsap ?? DEFAULT_OBEX_LSAP;
    this.ias = standardIasDatabase(options.nickname, options.obexServer ? obexLsap : undefined);
    this.mux.bind(LSAP_IAS, new IasServer(this.ias));
    if (options.obexServer) {
      const server =
        options.obexServer instanceof ObexServer ? options.obexServer : new ObexServer(options.obexServer);
      this.obexServer = server;
      this.mux.bind(
        obexLsap,
        new TinyTpListener((ttp) => server.attach(ttpTransport(ttp, options.onObexPacket)), options.tinyTp),
      );
    }
  }

  get deviceAddress(): number {
    return this.station.deviceAddress;
  }

  /** Serial bytes received (any chunking). */
  receive(bytes: Uint8Array): void {
    for (const frame of this.deframer.push(bytes)) {
      this.options.onFrame?.('in', frame);
      this.station.receive(frame);
    }
  }

  get stats(): IrdaEndpointStats {
    return {
      sir: { ...this.deframer.stats },
      irlap: { ...this.station.stats },
      irlmpMalformed: this.mux.stats.malformed,
    };
  }

  /** Discover until a device answers (or `attempts` discoveries found nobody). */
  async discover(
    options: { slots?: 1 | 6 | 8 | 16; attempts?: number; nickname?: string } = {},
  ): Promise<DiscoveredDevice[]> {
    const attempts = options.attempts ?? 5;
    for (let i = 0; i < attempts; i++) {
      const found = await this.station.discover(options.slots ?? 6);
      const match = options.nickname ? found.filter((d) => d.info.nickname === options.nickname) : found;
      if (match.length) return match;
    }
    return [];
  }

  /** IrLAP connection as primary; resolves with what was negotiated. */
  connect(device: DiscoveredDevice | number): Promise<NegotiatedQos> {
    return this.station.connect(typeof device === 'number' ? device : device.address);
  }

  queryIas(className: string, attribute: string): Promise<IasAnswer> {
    return iasGetValueByClass(this.mux, className, attribute);
  }

  /** IAS lookup of the OBEX LSAP, Tiny TP connect, OBEX Connect. */
  async openObex(options: { target?: Uint8Array } = {}): Promise<ObexSession> {
    const answer = await this.queryIas('OBEX', 'IrDA:TinyTP:LsapSel');
    const entry = answer.entries.find((e) => e.value.type === 'integer');
    if (!entry || entry.value.type !== 'integer') {
      throw new Error(`IAS: no OBEX service (return code ${answer.returnCode})`);
    }
    const ttp = await ttpConnect(this.mux, entry.value.value, this.options.tinyTp);
    const client = new ObexClient(ttpTransport(ttp, this.options.onObexPacket), {
      maxPacketLength: this.options.obexMaxPacket ?? 0x4000,
    });
    ttp.onDisconnect = (reason) =>
      client.fail(new Error(`Tiny TP disconnected (reason 0x${reason.toString(16)})`));
    await client.connect(options);
    return {
      client,
      ttp,
      close: async () => {
        try {
          await client.disconnect();
        } finally {
          ttp.disconnect();
        }
      },
    };
  }

  disconnect(): Promise<void> {
    return this.station.disconnect();
  }
}

/** OBEX packets over Tiny TP: one SDU per packet when SAR allows, otherwise a stream of SDUs. */
export function ttpTransport(
  ttp: TinyTpConnection,
  tap?: (direction: IrFrameDirection, packet: Uint8Array) => void,
): ObexTransport {
  let receiver: (bytes: Uint8Array) => void = () => undefined;
  const reader = tap ? new ObexPacketReader() : undefined;
  ttp.onSdu = (sdu) => {
    if (reader) for (const p of reader.push(sdu)) tap?.('in', p);
    receiver(sdu);
  };
  return {
    send(bytes) {
      tap?.('out', bytes);
      const max = ttp.maxSdu;
      for (let at = 0; at < bytes.length; at += max) ttp.send(bytes.subarray(at, at + max));
    },
    setReceiver(fn) {
      receiver = fn;
    },
  };
}
