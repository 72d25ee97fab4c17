/**
 * SMPP framing in front of the smpp package's Session. The package throws out of its stream reader on a
 * command_length above its maximum or a body shorter than its fields, and then stops reading the socket
 * for good; a length of 0–15 makes it wait forever. This layer checks every PDU first: a bad
 * command_length gets generic_nack ESME_RINVCMDLEN and the connection is closed (the stream cannot be
 * resynchronised); a body the package cannot parse gets generic_nack ESME_RINVCMDLEN and the session
 * goes on. Only well-formed PDUs reach the Session, through a Duplex standing in for the socket.
 */
import type net from 'node:net';
import { Duplex } from 'node:stream';
import smpp from 'smpp';
import { ESME } from './submit-sm.js';

const GENERIC_NACK = 0x80000000;

export function genericNack(status: number, sequence: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt32BE(16, 0);
  b.writeUInt32BE(GENERIC_NACK, 4);
  b.writeUInt32BE(status, 8);
  b.writeUInt32BE(sequence >>> 0, 12);
  return b;
}

export interface FramedConnection {
  /** What the Session reads and writes. */
  stream: Duplex;
  /** Raw bytes of each well-formed PDU, in arrival order, before the Session sees it. */
  onPdu(listener: (raw: Buffer) => void): void;
}

export function frameSocket(socket: net.Socket): FramedConnection {
  const listeners: ((raw: Buffer) => void)[] = [];
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      if (socket.destroyed || !socket.writable) callback();
      else socket.write(chunk, () => callback());
    },
    final(callback) {
      socket.end();
      callback();
    },
    destroy(error, callback) {
      socket.destroy();
      callback(error);
    },
  });
  let pending: Buffer = Buffer.alloc(0);
  // The Session answers the PDUs before a bad one on later ticks; a nack waits for them to keep the order.
  const answerLater = (write: () => unknown): void => void setImmediate(write);
  let broken = false;
  socket.on('data', (chunk: Buffer) => {
    if (broken) return;
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= 4) {
      const length = pending.readUInt32BE(0);
      if (length < 16 || length > smpp.PDU.maxLength) {
        broken = true;
        const seq = pending.length >= 16 ? pending.readUInt32BE(12) : 0;
        answerLater(() => socket.end(genericNack(ESME.RINVCMDLEN, seq)));
        return;
      }
      if (pending.length < length) break;
      const raw = Buffer.from(pending.subarray(0, length));
      pending = pending.subarray(length);
      try {
        new smpp.PDU(raw);
      } catch {
        const nack = genericNack(ESME.RINVCMDLEN, raw.readUInt32BE(12));
        answerLater(() => socket.writable && socket.write(nack));
        continue;
      }
      for (const l of listeners) l(raw);
      stream.push(raw);
    }
  });
  socket.on('error', () => socket.destroy());
  socket.on('close', () => {
    stream.push(null);
    stream.destroy();
  });
  return { stream, onPdu: (l) => listeners.push(l) };
}
