/**
 * Where running benches leave their runtime files: stable device symlinks, nvram images and a record of
 * each running bench (its control URL) so `benchtwin devices` can find the twins of other processes.
 * `BENCHTWIN_RUNTIME_DIR` overrides the location.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function runtimeRoot(): string {
  const fromEnv = process.env['BENCHTWIN_RUNTIME_DIR'];
  if (fromEnv) return path.resolve(fromEnv);
  const uid = typeof process.getuid === 'function' ? process.getuid() : 'user';
  return path.join(os.tmpdir(), `benchtwin-${uid}`);
}

/** The runtime folder of one bench, e.g. `<root>/benches/lane-1`: symlinks live under `serial/by-id/`. */
export function benchRuntimeDir(benchName: string): string {
  return path.join(runtimeRoot(), 'benches', benchName);
}

export interface BenchRecord {
  name: string;
  pid: number;
  control: string;
  started: string;
}

function recordPath(name: string): string {
  return path.join(benchRuntimeDir(name), 'bench.json');
}

/** True while process `pid` exists (EPERM: it exists but belongs to someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Reads the record of a bench; undefined when absent or when its process is gone. */
export function readBenchRecord(name: string): BenchRecord | undefined {
  try {
    const rec = JSON.parse(readFileSync(recordPath(name), 'utf8')) as BenchRecord;
    return processAlive(rec.pid) ? rec : undefined;
  } catch {
    return undefined;
  }
}

/** Records a running bench; refuses when a live process already runs a bench of that name. */
export function writeBenchRecord(rec: BenchRecord): void {
  const other = readBenchRecord(rec.name);
  if (other && other.pid !== rec.pid) {
    throw new Error(
      `a bench named "${rec.name}" is already running (pid ${other.pid}, control ${other.control})`,
    );
  }
  const file = recordPath(rec.name);
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(rec, null, 2) + '\n');
  renameSync(tmp, file);
}

export function removeBenchRecord(name: string): void {
  const rec = readBenchRecord(name);
  if (!rec || rec.pid === process.pid) rmSync(recordPath(name), { force: true });
}

export function listRunningBenches(): BenchRecord[] {
  let names: string[];
  try {
    names = readdirSync(path.join(runtimeRoot(), 'benches'));
  } catch {
    return [];
  }
  return names.map(readBenchRecord).filter((r): r is BenchRecord => r !== undefined);
}
