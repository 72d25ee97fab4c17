/**
 * A pseudo-terminal pair for an emulated serial device: the emulator holds the master, the host opens
 * the slave path (/dev/pts/N) with `serialport` as it would open /dev/ttyACM0.
 */
import { createRequire } from 'node:module';
import fs from 'node:fs';
import tty from 'node:tty';

interface NativePty {
  open(cols: number, rows: number): { master: number; slave: number; pty: string };
}

const require = createRequire(import.meta.url);
// node-pty's JavaScript open() reads the slave itself and swallows the host's bytes: use the native openpty.
const native = require('node-pty/build/Release/pty.node') as NativePty;

export interface PtyPair {
  /** The slave's path, e.g. /dev/pts/7: what the host opens. */
  readonly ptsPath: string;
  /** The master fd (non-blocking). Write with `writeMaster`, read through `master`. */
  readonly masterFd: number;
  /** A readable stream on the master: 'data' carries the bytes the host wrote. Never write through it. */
  readonly master: tty.ReadStream;
  /** Destroy the master and close the slave: the host's port then reports a disconnect. Idempotent. */
  close(): void;
}

export function openPty(): PtyPair {
  const { master: masterFd, slave: slaveFd, pty: ptsPath } = native.open(80, 24);
  const master = new tty.ReadStream(masterFd);
  // Held open and never read, so the master does not get EIO while no host has the port open. Raw mode
  // from the start: a cooked slave would echo the device's bytes back to it and act on ^C/^S/^Q
  // before the host has opened (and so configured) the port.
  const slave = new tty.ReadStream(slaveFd);
  slave.setRawMode(true);
  let closed = false;
  return {
    ptsPath,
    masterFd,
    master,
    close() {
      if (closed) return;
      closed = true;
      master.destroy();
      slave.destroy();
    },
  };
}

/**
 * Write to the master without blocking. Returns how many bytes the PTY took (0 when its buffer is full).
 * Not `master.write()`: libuv treats a master fd as a blocking-write tty and spins the event loop on
 * EAGAIN once ~14 KB wait unread by the host, which would freeze a host running in the same process.
 */
export function writeMaster(masterFd: number, bytes: Uint8Array): number {
  try {
    return fs.writeSync(masterFd, bytes);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EAGAIN') return 0;
    throw err;
  }
}
