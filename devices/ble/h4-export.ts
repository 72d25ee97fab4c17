/**
 * A virtual controller exported as an H4 byte stream (Vol 4 Part A, the UART transport), so that a host
 * stack in another process attaches to it: over TCP (Bumble's `tcp-client:`, a test harness) or over a
 * pseudo-terminal (BlueZ's `btattach -B /dev/pts/N -P h4`, Zephyr's native UART). H4 has no framing but
 * the packet headers: the deframer reads each header's length field, and on an unknown packet indicator
 * drops one octet and resynchronises, as a UART transport does after a line error.
 */
import net from 'node:net';
import { H4 } from './hci/constants.js';
import type { VirtualController } from './controller.js';
import { openPty, writeMaster } from '../serial/pty.js';

/** Splits an H4 byte stream into packets. */
export class H4Deframer {
  private buf = Buffer.alloc(0);
  /** Octets dropped while resynchronising. */
  dropped = 0;

  push(chunk: Uint8Array): Buffer[] {
    this.buf = Buffer.concat([this.buf, chunk]);
    const out: Buffer[] = [];
    for (;;) {
      const size = this.packetSize();
      if (size === undefined) break;
      if (size === 0) {
        this.buf = this.buf.subarray(1);
        this.dropped++;
        continue;
      }
      out.push(Buffer.from(this.buf.subarray(0, size)));
      this.buf = this.buf.subarray(size);
    }
    return out;
  }

  /** Size of the packet at the head; undefined when more octets are needed, 0 when the head is not a packet. */
  private packetSize(): number | undefined {
    const b = this.buf;
    if (b.length === 0) return undefined;
    switch (b[0]) {
      case H4.Command:
        return b.length < 4 ? undefined : complete(b, 4 + b[3]!);
      case H4.AclData:
        return b.length < 5 ? undefined : complete(b, 5 + b.readUInt16LE(3));
      case H4.Event:
        return b.length < 3 ? undefined : complete(b, 3 + b[2]!);
      default:
        return 0;
    }
  }
}

function complete(b: Buffer, size: number): number | undefined {
  return b.length >= size ? size : undefined;
}

export interface H4Export {
  /** `tcp:127.0.0.1:port` or the PTY's path. */
  readonly endpoint: string;
  close(): Promise<void>;
}

/** Listen on loopback; every client that connects is a host of the controller. Port 0 picks a free one. */
export async function exportH4OverTcp(
  controller: VirtualController,
  port = 0,
  host = '127.0.0.1',
): Promise<H4Export & { port: number }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    const deframer = new H4Deframer();
    const channel = controller.attachHost((h4) => {
      if (!socket.destroyed) socket.write(h4);
    });
    socket.on('data', (chunk) => {
      for (const packet of deframer.push(chunk)) channel.write(packet);
    });
    socket.on('close', () => {
      channel.detach();
      sockets.delete(socket);
    });
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const actual = (server.address() as net.AddressInfo).port;
  return {
    endpoint: `tcp:${host}:${actual}`,
    port: actual,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A pseudo-terminal whose slave path a host stack opens as the controller's UART. */
export function exportH4OverPty(controller: VirtualController): H4Export {
  const pty = openPty();
  const deframer = new H4Deframer();
  let pending = Buffer.alloc(0);
  let retry: NodeJS.Timeout | undefined;
  const drain = (): void => {
    retry = undefined;
    while (pending.length > 0) {
      const n = writeMaster(pty.masterFd, pending);
      pending = pending.subarray(n);
      if (n === 0) {
        // The host is not reading: try again shortly rather than block the event loop.
        retry = setTimeout(drain, 2);
        return;
      }
    }
  };
  const channel = controller.attachHost((h4) => {
    pending = Buffer.concat([pending, h4]);
    if (!retry) drain();
  });
  pty.master.on('data', (chunk: Buffer) => {
    for (const packet of deframer.push(chunk)) channel.write(packet);
  });
  pty.master.on('error', () => undefined); // EIO when the host closes the slave
  return {
    endpoint: pty.ptsPath,
    close: async () => {
      if (retry) clearTimeout(retry);
      channel.detach();
      pty.close();
    },
  };
}
