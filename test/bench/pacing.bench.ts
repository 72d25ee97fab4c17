/**
 * Pacing fidelity on the wall clock at 9600 8N1: how long a 16-byte frame takes as the host sees it, from the
 * twin's write to the last byte arriving through serialport. One character is 10 bits, so the line needs
 * 16 × 10 / 9600 s = 16.67 ms. Targets (issue [foundation]): 16.7 ms ± 5 %, p99 jitter ≤ 2 ms.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SerialPort } from 'serialport';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { SystemClock } from '../../firmware-sim/clock.js';
import { EmulatedSerialPort } from '../../devices/serial/port.js';
import { quantile, report } from './report.js';

const FRAME = Buffer.from('0123456789ABCDEF');
const IDEAL_MS = (FRAME.length * 10 * 1000) / 9600;
const dir = mkdtempSync(path.join(os.tmpdir(), 'benchtwin-bench-'));
const port = new EmulatedSerialPort({ name: 'pacing', runtimeDir: dir, clock: new SystemClock() });
let host: SerialPort;
let received = 0;
let onByte: (() => void) | undefined;
const durations: number[] = [];

beforeAll(async () => {
  await port.open();
  host = new SerialPort({ path: port.path, baudRate: 9600, autoOpen: false });
  await new Promise<void>((resolve, reject) => host.open((err) => (err ? reject(err) : resolve())));
  host.on('data', (chunk: Buffer) => {
    received += chunk.length;
    onByte?.();
  });
});

afterAll(async () => {
  await new Promise<void>((resolve) => host.close(() => resolve()));
  port.close();
  rmSync(dir, { recursive: true, force: true });
  const median = quantile(durations, 0.5);
  const jitter = durations.map((d) => Math.abs(d - median));
  const p99 = quantile(jitter, 0.99);
  report(
    `pacing fidelity, wall clock, 9600 8N1, ${durations.length} frames of 16 bytes (ideal ${IDEAL_MS.toFixed(2)} ms)`,
    [
      {
        figure: 'frame time, median',
        value: `${median.toFixed(2)} ms`,
        target: '16.7 ms ± 5 %',
        met: Math.abs(median - IDEAL_MS) <= IDEAL_MS * 0.05,
      },
      { figure: 'frame time, min', value: `${Math.min(...durations).toFixed(2)} ms`, target: '-', met: true },
      { figure: 'frame time, max', value: `${Math.max(...durations).toFixed(2)} ms`, target: '-', met: true },
      { figure: 'jitter |t − median|, p99', value: `${p99.toFixed(2)} ms`, target: '≤ 2 ms', met: p99 <= 2 },
    ],
  );
});

describe('pacing', () => {
  bench(
    '16-byte frame at 9600 8N1, write → last byte at the host',
    async () => {
      const target = received + FRAME.length;
      const t0 = performance.now();
      const done = new Promise<void>((resolve) => {
        onByte = () => {
          if (received >= target) resolve();
        };
      });
      void port.write(FRAME);
      await done;
      durations.push(performance.now() - t0);
      // Let the line go idle between frames, as between labels.
      await new Promise((r) => setTimeout(r, 5));
    },
    { iterations: 300, warmupIterations: 10, time: 0 },
  );
});
