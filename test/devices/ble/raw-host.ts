/**
 * A raw HCI host on the seam's socket, for tests that speak HCI themselves: it writes H4 packets and
 * collects decoded events and ACL packets, and throws on anything the controller sends that does not
 * frame or decode (so a malformed event fails the test).
 */
import { VirtualController } from '../../../devices/ble/controller.js';
import { decodeEvent, type HciEvent } from '../../../devices/ble/hci/events.js';
import { parseH4 } from '../../../devices/ble/hci/packets.js';
import { registerVirtualController } from '../../../devices/ble/seam/registry.js';
import { BluetoothHciSocket, withHciTarget } from '../../../devices/ble/seam/socket.js';

export class RawHost {
  readonly socket: BluetoothHciSocket;
  readonly events: HciEvent[] = [];
  readonly acl: Buffer[] = [];
  private waiters: (() => void)[] = [];

  constructor(readonly controller: VirtualController) {
    const devId = registerVirtualController(controller);
    this.socket = withHciTarget({ kind: 'virtual', controller, devId }, () => new BluetoothHciSocket());
    this.socket.on('data', (d: Buffer) => {
      const framed = parseH4(d);
      if (!framed.ok) throw new Error(`controller sent an unframed packet ${d.toString('hex')}`);
      if (framed.packet.type === 'event') {
        const ev = decodeEvent(framed.packet.code, framed.packet.params);
        if (!ev.ok)
          throw new Error(`controller sent an undecodable event ${d.toString('hex')}: ${ev.reason}`);
        this.events.push(ev.event);
      } else this.acl.push(d);
      for (const w of this.waiters.splice(0)) w();
    });
    this.socket.bindRaw(devId);
    this.socket.start();
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Wait until `n` events have arrived in total. */
  async eventCount(n: number): Promise<HciEvent[]> {
    while (this.events.length < n) await new Promise<void>((r) => this.waiters.push(r));
    return this.events;
  }

  /** Wait until `n` ACL packets have arrived in total. */
  async aclCount(n: number): Promise<Buffer[]> {
    while (this.acl.length < n) await new Promise<void>((r) => this.waiters.push(r));
    return this.acl;
  }

  /** Let the controller's queue drain. */
  async settle(): Promise<void> {
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  }
}
