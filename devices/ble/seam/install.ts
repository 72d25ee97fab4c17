/**
 * The seam: noble and bleno `require('@abandonware/bluetooth-hci-socket')` inside their Hci constructors
 * and take no socket parameter. We put our BluetoothHciSocket into Node's CommonJS cache under the real
 * module's resolved file name before either stack loads, the way noble's own tests substitute the module
 * (proxyquire). Their code is not touched, and the native module is only loaded when a socket is bound
 * to a real device.
 *
 * noble supports many instances: `createNoble` builds `new Noble(new HciBindings(...))` per controller.
 * bleno is a module-level singleton (its bindings, Hci and management socket are created when the module
 * loads), so `loadBleno` loads a fresh copy of bleno's modules per controller from a cleared cache entry
 * set, with the target bound while its sockets are constructed: one bleno per emulated peripheral, all in
 * one thread and on the bench's clock (see docs/BLE.md for why not worker threads).
 */
import Module, { createRequire } from 'node:module';
import path from 'node:path';
import type { VirtualController } from '../controller.js';
import { parseBleTransport, registerVirtualController, type HciTarget } from './registry.js';
import { BluetoothHciSocket, setUnrefPollTimers, withHciTarget } from './socket.js';

const require = createRequire(import.meta.url);

export type Noble = typeof import('@abandonware/noble');
export type Bleno = typeof import('@abandonware/bleno');

let installed = false;

function cacheEntry(file: string, exports: unknown): NodeJS.Module {
  const m = new Module(file) as NodeJS.Module & { filename: string; loaded: boolean; paths: string[] };
  m.filename = file;
  m.loaded = true;
  m.exports = exports;
  m.paths = [];
  return m;
}

/**
 * Install the seam (idempotent). Throws when noble or bleno already loaded the real module: their Hci
 * holds its constructor from then on, and nothing short of reloading them would reach our sockets.
 */
export function installHciSocketSeam(options: { unrefPollTimers?: boolean } = {}): void {
  if (installed) return;
  const file = require.resolve('@abandonware/bluetooth-hci-socket');
  const cached = require.cache[file];
  if (cached && cached.exports !== BluetoothHciSocket) {
    throw new Error(
      'bluetooth-hci-socket seam: the native module was loaded first; install the seam before noble or bleno',
    );
  }
  require.cache[file] = cacheEntry(file, BluetoothHciSocket);
  setUnrefPollTimers(options.unrefPollTimers ?? true);
  installed = true;
}

function toTarget(target: VirtualController | string | HciTarget): HciTarget {
  if (typeof target === 'string') return parseBleTransport(target);
  if ('kind' in target) return target;
  return { kind: 'virtual', controller: target, devId: registerVirtualController(target) };
}

/** A noble instance of its own, on a virtual controller or a transport string (`ble:hci0`, `ble:usb:...`). */
export function createNoble(target: VirtualController | string | HciTarget): Noble {
  installHciSocketSeam();
  const t = toTarget(target);
  const NobleCtor = require('@abandonware/noble/lib/noble.js') as new (bindings: unknown) => Noble;
  const HciBindings = require('@abandonware/noble/lib/hci-socket/bindings.js') as new (
    options: object,
  ) => unknown;
  const deviceId = t.kind === 'usb' || t.kind === 'h4tcp' ? undefined : t.devId;
  // Like a bleno copy, each noble adds one SIGINT and one exit listener when it initialises (a bench has
  // a terminal and a POS each with its own noble, and a test file runs many benches): not a leak.
  process.setMaxListeners(process.getMaxListeners() + 1);
  const noble = withHciTarget(
    t,
    () => new NobleCtor(new HciBindings(deviceId === undefined ? {} : { deviceId })),
  );
  dropAclOfGoneLinks(noble);
  return noble;
}

/** What noble's Hci keeps for its ACL flow control (not part of its typings). */
interface NobleHci {
  _aclQueue: { handle: number; packet: Buffer }[];
  _aclConnections: Map<number, { pending: number }>;
  flushAcl(): Promise<void>;
}

/**
 * noble 1.9 queues an ACL packet after awaiting its buffer sizes; when the link's Disconnection Complete
 * arrives in between, its flushAcl meets a handle it no longer knows and rejects — unhandled, which ends
 * the process. A controller drops data for an unknown handle: the queue is cleared of them first.
 */
function dropAclOfGoneLinks(noble: Noble): void {
  const hci = (noble as unknown as { _bindings?: { _hci?: NobleHci } })._bindings?._hci;
  if (!hci || typeof hci.flushAcl !== 'function') return;
  const flush = hci.flushAcl;
  hci.flushAcl = function (this: NobleHci) {
    this._aclQueue = this._aclQueue.filter((p) => this._aclConnections.has(p.handle));
    return flush.call(this);
  };
}

/** A fresh bleno (its own module instances, hence its own Hci, GATT server and management socket). */
export function loadBleno(target: VirtualController | string | HciTarget): Bleno {
  installHciSocketSeam();
  const base = toTarget(target);
  // bleno throws on malformed ATT requests and out-of-order SMP: its virtual sockets get the guard.
  const t: HciTarget = base.kind === 'virtual' ? { ...base, blenoGuard: true } : base;
  const entry = require.resolve('@abandonware/bleno');
  const root = path.dirname(entry) + path.sep;
  const own = () =>
    Object.keys(require.cache).filter(
      (k) => k.startsWith(root) && !k.includes(`${path.sep}node_modules${path.sep}`, root.length),
    );
  const saved = new Map(own().map((k) => [k, require.cache[k]!]));
  for (const k of saved.keys()) delete require.cache[k];
  // Every copy adds one SIGINT and one exit listener to the process when it initialises (to disconnect
  // on the way out): many phones are expected, not a leak.
  process.setMaxListeners(process.getMaxListeners() + 1);
  try {
    return withHciTarget(t, () => require(entry) as Bleno);
  } finally {
    // Leave the cache as it was, so that a plain require('@abandonware/bleno') keeps its own singleton.
    for (const k of own()) delete require.cache[k];
    for (const [k, m] of saved) require.cache[k] = m;
  }
}
