/**
 * TLS key logs in the NSS key log format (one `<label> <client_random> <secret>` line per secret), which
 * Wireshark and tshark read through the `tls.keylog_file` preference to decrypt a capture. Node already
 * emits lines in this format (server and agent `keylog` events, client socket `keylog` events); this class
 * appends them to a file.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { ClientRequest } from 'node:http';
import type { Agent } from 'node:https';
import type { Server, TLSSocket } from 'node:tls';

export class NssKeyLog {
  private fd: number | undefined;
  private readonly sockets = new WeakSet<TLSSocket>();

  /** Opens `file` for appending; created readable by the owner only, since it holds session secrets. */
  constructor(readonly file: string) {
    this.fd = openSync(file, 'a', 0o600);
  }

  /**
   * Appends one key log line. Synchronous on purpose: the secret is in the file before the handshake
   * goes on, so a live Wireshark can decrypt from the first record.
   */
  write(line: Buffer | string): void {
    if (this.fd === undefined) return;
    const text = typeof line === 'string' ? line : line.toString('latin1');
    writeSync(this.fd, text.endsWith('\n') ? text : text + '\n');
  }

  /** Logs the secrets of every connection a TLS or HTTPS server accepts. */
  attachServer(server: Server): this {
    server.on('keylog', (line: Buffer) => this.write(line));
    return this;
  }

  /** Logs the secrets of one client connection (attach before its handshake ends). */
  attachSocket(socket: TLSSocket): this {
    if (this.sockets.has(socket)) return this;
    this.sockets.add(socket);
    socket.on('keylog', (line: Buffer) => this.write(line));
    return this;
  }

  /** Logs the secrets of every connection an HTTPS agent opens. */
  attachAgent(agent: Agent): this {
    agent.on('keylog', (line: Buffer) => this.write(line));
    return this;
  }

  /** Logs the secrets of the connection an HTTPS request gets (a reused socket is attached once). */
  attachRequest(request: ClientRequest): this {
    request.on('socket', (socket) => this.attachSocket(socket as TLSSocket));
    return this;
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}
