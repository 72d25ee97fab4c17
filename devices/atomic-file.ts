/**
 * Crash-safe file replacement: the new contents go to a temporary file in the same folder, are flushed
 * to disk, and replace the old file by rename (atomic on POSIX file systems); the folder is then flushed
 * so the rename itself survives a power cut. A reader sees the old file or the new one, never a mixture.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

let counter = 0;

/** Writes `data` to `file` atomically and durably (synchronous: callers answer only after it returns). */
export function writeFileAtomic(file: string, data: Uint8Array): void {
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${++counter}.tmp`);
  let fd: number | undefined = openSync(tmp, 'wx', 0o600);
  try {
    let at = 0;
    while (at < data.length) at += writeSync(fd, data, at, data.length - at);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, file);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  const dirFd = openSync(dir, 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}
