/**
 * Which HCI device a socket of the seam talks to: a virtual controller registered here under a device
 * id, the kernel's HCI socket (`ble:hci0`) or a USB dongle driven from user space (`ble:usb:0a12:0001`).
 */
import type { VirtualController } from '../controller.js';

export type HciTarget =
  | { kind: 'virtual'; controller: VirtualController; devId: number; blenoGuard?: boolean }
  | { kind: 'native'; devId: number }
  | { kind: 'usb'; vid: number; pid: number }
  /** A controller exported as H4 over TCP by another process (h4-export.ts). */
  | { kind: 'h4tcp'; host: string; port: number };

/** Virtual device ids start here so they never shadow a real hciN of the machine. */
export const FIRST_VIRTUAL_DEV_ID = 100;

const byDevId = new Map<number, VirtualController>();
const byController = new Map<VirtualController, number>();

/** Make a controller reachable by device id (noble's `deviceId`, bleno's BLENO_HCI_DEVICE_ID). */
export function registerVirtualController(controller: VirtualController, devId?: number): number {
  const existing = byController.get(controller);
  if (existing !== undefined) return existing;
  let id = devId ?? FIRST_VIRTUAL_DEV_ID;
  if (devId !== undefined && byDevId.has(devId)) throw new RangeError(`HCI device id ${devId} is taken`);
  while (byDevId.has(id)) id++;
  byDevId.set(id, controller);
  byController.set(controller, id);
  return id;
}

export function unregisterVirtualController(controller: VirtualController): void {
  const id = byController.get(controller);
  if (id === undefined) return;
  byController.delete(controller);
  byDevId.delete(id);
}

export function virtualControllerById(devId: number): VirtualController | undefined {
  return byDevId.get(devId);
}

export function virtualDevId(controller: VirtualController): number | undefined {
  return byController.get(controller);
}

export function registeredVirtualControllers(): { devId: number; controller: VirtualController }[] {
  return [...byDevId].map(([devId, controller]) => ({ devId, controller }));
}

/**
 * Parses the BLE transport strings of bench files: `ble:hci<N>` (native), `ble:usb:<vid>:<pid>` (hex),
 * `ble:virtual:<devId>` (a registered virtual controller), `ble:h4tcp:<host>:<port>` (a controller exported
 * as H4 over TCP by another process). Throws RangeError naming what was expected.
 */
export function parseBleTransport(transport: string): HciTarget {
  let m = /^ble:hci(\d{1,3})$/.exec(transport);
  if (m) return { kind: 'native', devId: Number(m[1]) };
  m = /^ble:usb:([0-9a-f]{4}):([0-9a-f]{4})$/i.exec(transport);
  if (m) return { kind: 'usb', vid: parseInt(m[1]!, 16), pid: parseInt(m[2]!, 16) };
  m = /^ble:virtual:(\d+)$/.exec(transport);
  if (m) {
    const devId = Number(m[1]);
    const controller = byDevId.get(devId);
    if (!controller)
      throw new RangeError(`${transport}: no virtual controller is registered as device ${devId}`);
    return { kind: 'virtual', controller, devId };
  }
  m = /^ble:h4tcp:(\[[0-9a-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/i.exec(transport);
  if (m && Number(m[2]) > 0 && Number(m[2]) < 65536)
    return { kind: 'h4tcp', host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
  throw new RangeError(
    `${transport}: expected ble:hci<N>, ble:usb:<vid>:<pid> (hex), ble:virtual:<devId> or ble:h4tcp:<host>:<port>`,
  );
}
