/**
 * The client end of an H4 stream over TCP (`ble:h4tcp:<host>:<port>`): a controller exported by another
 * process (h4-export.ts, Bumble's `tcp-server:`, an H4 bridge to a UART dongle). Packets written before
 * the connection is up are queued, so a host stack can start its reset sequence at once, as it does on a
 * local socket. Like the native socket, an open stream keeps the process alive (the host stacks never close
 * their socket: a script ends with process.exit).
 */
import net from 'node:net';
import { H4Deframer } from '../h4-export.js';

export class H4TcpClient {
  private readonly socket: net.Socket;
  private readonly deframer = new H4Deframer();
  private pending: Buffer[] | undefined = [];
  private closed = false;

  constructor(host: string, port: number, onPacket: (h4: Buffer) => void, onError: (error: Error) => void) {
    this.socket = net.connect({ host, port });
    this.socket.setNoDelay(true);
    this.socket.on('connect', () => {
      const queued = this.pending ?? [];
      this.pending = undefined;
      for (const p of queued) this.socket.write(p);
    });
    this.socket.on('data', (chunk: Buffer) => {
      for (const packet of this.deframer.push(chunk)) onPacket(packet);
    });
    this.socket.on('error', (e) => onError(e));
    this.socket.on('close', () => {
      if (!this.closed)
        onError(Object.assign(new Error('H4 transport closed by the peer'), { code: 'ENETDOWN' }));
      this.closed = true;
    });
  }

  get up(): boolean {
    return !this.closed;
  }

  write(h4: Buffer): void {
    if (this.closed) return;
    if (this.pending) this.pending.push(Buffer.from(h4));
    else this.socket.write(h4);
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }
}
