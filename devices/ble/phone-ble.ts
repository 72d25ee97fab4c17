/**
 * `benchtwin emulate phone --ble`: the phone twin's GATT server on an air, and, when asked, a second
 * controller on the same air exported as H4 (the phone's `ble` endpoint) for a host stack in another
 * process: noble through the seam's `ble:h4tcp:127.0.0.1:<port>`, Bumble's `tcp-client:`, or BlueZ's
 * `btattach -B <pty> -P h4` on the PTY export.
 */
import type { Clock } from '../../firmware-sim/clock.js';
import { Air, type Position } from './air.js';
import { VirtualController } from './controller.js';
import { exportH4OverPty, exportH4OverTcp, type H4Export } from './h4-export.js';
import { PhoneGatt } from './phone-gatt.js';
import type { Confirmation } from './payment-service.js';
import { unregisterVirtualController } from './seam/registry.js';

export interface PhoneBleOptions {
  /** The bench's air; a private one on `clock` when absent. */
  air?: Air;
  clock: Clock;
  userId?: string;
  name: string;
  address?: string;
  position?: Position;
  /** Export a host controller on the same air as H4: over loopback TCP or a PTY. */
  exportH4?: 'tcp' | 'pty' | undefined;
  /** Address of the exported host controller. */
  hostAddress?: string;
  onConfirmation?: (confirmation: Confirmation, central: string) => void;
}

export interface PhoneBle {
  air: Air;
  phone: PhoneGatt;
  /** The exported host controller (with `exportH4`). */
  host?: VirtualController;
  /**
   * The `ble` endpoint: `ble:h4tcp:127.0.0.1:<port>` (a transport string the seam, hence `createNoble`,
   * accepts) or the PTY's path.
   */
  endpoint?: string;
  close(): Promise<void>;
}

export async function startPhoneBle(options: PhoneBleOptions): Promise<PhoneBle> {
  const ownAir = options.air === undefined;
  const air = options.air ?? new Air({ clock: options.clock });
  const phone = await PhoneGatt.start({
    air,
    address: options.address ?? '5a:50:00:00:00:01',
    name: options.name,
    ...(options.userId !== undefined ? { userId: options.userId } : {}),
    ...(options.position ? { position: options.position } : {}),
    ...(options.onConfirmation ? { onConfirmation: options.onConfirmation } : {}),
  });
  let host: VirtualController | undefined;
  let exported: H4Export | undefined;
  let endpoint: string | undefined;
  if (options.exportH4) {
    host = new VirtualController({
      air,
      address: options.hostAddress ?? '5a:50:00:00:00:02',
      name: `${options.name}-host`,
      position: { x: 1, y: 0 },
    });
    if (options.exportH4 === 'tcp') {
      const tcp = await exportH4OverTcp(host);
      exported = tcp;
      endpoint = `ble:h4tcp:127.0.0.1:${tcp.port}`;
    } else {
      exported = await exportH4OverPty(host);
      endpoint = exported.endpoint;
    }
  }
  return {
    air,
    phone,
    ...(host ? { host } : {}),
    ...(endpoint ? { endpoint } : {}),
    async close() {
      await exported?.close();
      await phone.close();
      if (host) {
        host.close();
        unregisterVirtualController(host);
      }
      if (ownAir) air.close();
    },
  };
}
