/**
 * A stand-in for `@abandonware/bluetooth-hci-socket` with the same surface. A socket talks to a
 * registered virtual controller, to the native kernel socket, or to a USB dongle through the package's
 * own USB driver; which one is decided by the binding in force when the socket is constructed (see
 * `withHciTarget`) or else by the device id given to bindRaw/bindUser. Like the native module it emits
 * exactly one H4 packet per `data` event, applies the kernel's hci_filter, and reports errors as `error`.
 */
import { createHook } from 'node:async_hooks';
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import type { HostChannel } from '../controller.js';
import { BlenoGuard } from './bleno-guard.js';
import { H4TcpClient } from './h4-remote.js';
import type { VirtualController } from '../controller.js';
import {
  MGMT_EV_CMD_COMPLETE,
  MGMT_EV_CMD_STATUS,
  MGMT_OP_LOAD_LONG_TERM_KEYS,
  MGMT_STATUS_INVALID_PARAMS,
  MGMT_STATUS_SUCCESS,
  MGMT_STATUS_UNKNOWN_COMMAND,
  mgmtEvent,
  mgmtStatus,
  parseLoadLongTermKeys,
  parseMgmtCommand,
} from './mgmt.js';
import {
  registeredVirtualControllers,
  virtualControllerById,
  virtualDevId,
  type HciTarget,
} from './registry.js';

const require = createRequire(import.meta.url);

/** The package's device description (index.d.ts of bluetooth-hci-socket). */
export interface HciDevice {
  devId: number | null;
  devUp: boolean | null;
  idVendor: number | null;
  idProduct: number | null;
  busNumber: number | null;
  deviceAddress: number | null;
}

interface NativeSocket extends EventEmitter {
  bindRaw(devId?: number, params?: unknown): number;
  bindUser(devId?: number, params?: unknown): number;
  bindControl(): number;
  setFilter(filter: Buffer): void;
  start(): void;
  stop(): void;
  write(data: Buffer): void;
  isDevUp(): boolean;
  getDeviceList(): HciDevice[];
  reset?(): void;
}
type NativeCtor = new () => NativeSocket;

let nativeCtor: NativeCtor | undefined;
let usbCtor: NativeCtor | undefined;

/** The real module's implementations, loaded on first use only: a machine without Bluetooth never loads them. */
function loadNative(kind: 'native' | 'usb'): NativeCtor {
  if (kind === 'native')
    return (nativeCtor ??= require('@abandonware/bluetooth-hci-socket/lib/native.js') as NativeCtor);
  return (usbCtor ??= require('@abandonware/bluetooth-hci-socket/lib/usb.js') as NativeCtor);
}

let currentTarget: HciTarget | undefined;

/** Both stacks poll isDevUp() with this period, for ever. */
const POLL_MS = 1000;
let unrefPolls = false;

/**
 * noble and bleno call `setTimeout(poll, 1000)` right after each isDevUp(); a timer nobody can reach
 * keeps a finished test or bench process alive. isDevUp() arms this hook for the rest of the current
 * synchronous run (until the next microtask), and the hook unreferences that one timer. Armed only for
 * that instant, so promise hooks do not slow the process the rest of the time.
 */
const pollHook = createHook({
  init(_id, type, _trigger, resource) {
    if (type !== 'Timeout') return;
    const t = resource as { _idleTimeout?: number; unref?: () => void };
    if (t._idleTimeout !== POLL_MS) return;
    const stack = new Error().stack ?? '';
    if (/pollIsDevUp/.test(stack) && /@abandonware[\\/](noble|bleno)/.test(stack)) {
      t.unref?.();
      pollHook.disable();
    }
  },
});

export function setUnrefPollTimers(on: boolean): void {
  unrefPolls = on;
}

function armPollUnref(): void {
  if (!unrefPolls) return;
  pollHook.enable();
  queueMicrotask(() => pollHook.disable());
}

/** Run `fn` with every socket constructed during it bound to `target` (noble's and bleno's constructors). */
export function withHciTarget<T>(target: HciTarget, fn: () => T): T {
  const previous = currentTarget;
  currentTarget = target;
  try {
    return fn();
  } finally {
    currentTarget = previous;
  }
}

type Mode = 'unbound' | 'raw' | 'user' | 'control';

export class BluetoothHciSocket extends EventEmitter {
  private readonly target: HciTarget | undefined;
  private mode: Mode = 'unbound';
  private controller: VirtualController | undefined;
  private channel: HostChannel | undefined;
  private native: NativeSocket | undefined;
  private filter: { typeMask: number; eventMask: [number, number]; opcode: number } | undefined;
  private started = false;
  private guard: BlenoGuard | undefined;
  private remote: H4TcpClient | undefined;

  constructor() {
    super();
    this.target = currentTarget;
  }

  bindRaw(devId?: number, params?: unknown): number {
    return this.bind('raw', devId, params);
  }

  bindUser(devId?: number, params?: unknown): number {
    return this.bind('user', devId, params);
  }

  bindControl(): number {
    this.mode = 'control';
    // A remote controller has no kernel behind it: key loads are acknowledged and go nowhere.
    if (this.target?.kind === 'h4tcp') return 0;
    if (this.target?.kind === 'virtual' || (!this.target && registeredVirtualControllers().length > 0))
      return 0;
    return this.viaNative('native', (s) => s.bindControl()) ?? 0;
  }

  setFilter(filter: Buffer): void {
    if (this.native) return this.native.setFilter(filter);
    if (filter.length < 14) return;
    this.filter = {
      typeMask: filter.readUInt32LE(0),
      eventMask: [filter.readUInt32LE(4), filter.readUInt32LE(8)],
      opcode: filter.readUInt16LE(12),
    };
  }

  start(): void {
    if (this.native) return this.native.start();
    this.started = true;
    if (this.controller && !this.channel) this.channel = this.controller.attachHost((h4) => this.deliver(h4));
  }

  stop(): void {
    if (this.native) return this.native.stop();
    if (this.remote) {
      this.started = false;
      return;
    }
    this.started = false;
    this.channel?.detach();
    this.channel = undefined;
  }

  reset(): void {
    this.native?.reset?.();
  }

  write(data: Buffer): void {
    if (this.native) return this.native.write(data);
    if (this.mode === 'control') return this.writeMgmt(Buffer.from(data));
    if (this.remote) return this.remote.write(Buffer.from(data));
    if (!this.controller) {
      this.fail(Object.assign(new Error('Network is down'), { code: 'ENETDOWN' }));
      return;
    }
    if (!this.channel) this.channel = this.controller.attachHost((h4) => this.deliver(h4));
    this.channel.write(data);
  }

  isDevUp(): boolean {
    armPollUnref();
    if (this.native) return this.native.isDevUp();
    if (this.remote) return this.remote.up;
    return this.controller?.powered ?? false;
  }

  getDeviceList(): HciDevice[] {
    const virtual = registeredVirtualControllers().map(({ devId, controller }) => ({
      devId,
      devUp: controller.powered,
      idVendor: null,
      idProduct: null,
      busNumber: null,
      deviceAddress: null,
    }));
    let native: HciDevice[] = [];
    try {
      native = new (loadNative('native'))().getDeviceList();
    } catch {
      // no Bluetooth on this machine (EAFNOSUPPORT) or the native module is not built
    }
    return [...virtual, ...native];
  }

  private bind(mode: 'raw' | 'user', devId: number | undefined, params: unknown): number {
    this.mode = mode;
    const target = this.target;
    if (target?.kind === 'virtual') return this.bindVirtual(target.controller, target.devId);
    if (target?.kind === 'h4tcp') {
      this.remote ??= new H4TcpClient(
        target.host,
        target.port,
        (h4) => this.deliver(h4),
        (e) => this.emit('error', e),
      );
      return devId ?? 0;
    }
    if (target?.kind === 'usb') {
      const usb = { usb: { vid: target.vid, pid: target.pid } };
      return this.viaNative('usb', (s) => s.bindUser(devId ?? 0, usb)) ?? 0;
    }
    const id = target?.kind === 'native' ? target.devId : devId;
    const controller = id === undefined ? undefined : virtualControllerById(id);
    if (controller) return this.bindVirtual(controller, id!);
    return (
      this.viaNative('native', (s) => (mode === 'raw' ? s.bindRaw(id, params) : s.bindUser(id, params))) ??
      id ??
      0
    );
  }

  private bindVirtual(controller: VirtualController, devId: number): number {
    this.controller = controller;
    if (this.target?.kind === 'virtual' && this.target.blenoGuard) {
      this.guard = new BlenoGuard((h4) => this.write(h4));
    }
    return virtualDevId(controller) ?? devId;
  }

  /** Delegate to the real module; its construction and bind errors become `error` events, as a host expects. */
  private viaNative<T>(kind: 'native' | 'usb', bind: (s: NativeSocket) => T): T | undefined {
    try {
      const s = new (loadNative(kind))();
      s.on('data', (d: Buffer) => this.emit('data', d));
      s.on('error', (e: Error) => this.emit('error', e));
      const result = bind(s);
      this.native = s;
      return result;
    } catch (e) {
      this.fail(e instanceof Error ? e : new Error(String(e)));
      return undefined;
    }
  }

  private fail(error: Error): void {
    setImmediate(() => this.emit('error', error));
  }

  /** hci_filter (Linux net/bluetooth/hci_sock.c): packet types, event codes and a Command Complete opcode. */
  private passes(h4: Buffer): boolean {
    const f = this.filter;
    if (!f || this.mode === 'user') return true;
    const type = h4[0]!;
    if (type > 31 || !(f.typeMask & (1 << type))) return false;
    if (type !== 0x04) return true;
    const code = h4[1]!;
    if (code > 63 || !(f.eventMask[code >> 5]! & (1 << (code & 31)))) return false;
    if (f.opcode === 0) return true;
    if (code === 0x0e) return h4.readUInt16LE(4) === f.opcode;
    if (code === 0x0f) return h4.readUInt16LE(5) === f.opcode;
    return true;
  }

  private deliver(h4: Buffer): void {
    if (!this.started || !this.passes(h4)) return;
    if (this.guard) this.guard.inbound(Buffer.from(h4), (p) => this.emit('data', p));
    else this.emit('data', Buffer.from(h4));
  }

  /** Bad ATT requests the guard answered for bleno (undefined when the socket has no guard). */
  get guardStats(): BlenoGuard['stats'] | undefined {
    return this.guard?.stats;
  }

  private writeMgmt(packet: Buffer): void {
    const cmd = parseMgmtCommand(packet);
    const answer = (event: number, status: number): void => {
      setImmediate(() => this.emit('data', mgmtEvent(event, cmd.index, mgmtStatus(cmd.opcode, status))));
    };
    if (!cmd.ok) return answer(MGMT_EV_CMD_STATUS, cmd.status);
    if (cmd.opcode !== MGMT_OP_LOAD_LONG_TERM_KEYS)
      return answer(MGMT_EV_CMD_STATUS, MGMT_STATUS_UNKNOWN_COMMAND);
    const keys = parseLoadLongTermKeys(cmd.params);
    // bleno always writes controller index 0; the socket's binding names the controller it means.
    const controller =
      this.target?.kind === 'virtual' ? this.target.controller : virtualControllerById(cmd.index);
    if (!keys || !controller) return answer(MGMT_EV_CMD_STATUS, MGMT_STATUS_INVALID_PARAMS);
    controller.loadLongTermKeys(keys);
    answer(MGMT_EV_CMD_COMPLETE, MGMT_STATUS_SUCCESS);
  }
}
