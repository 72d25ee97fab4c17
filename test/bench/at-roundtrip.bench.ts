/**
 * AT command round trip on the wall clock at 115200 8N1: a host writes "AT+CSQ\r" through serialport on the
 * phone twin's PTY and waits for the final "OK". Both directions are paced, so the line alone needs
 * (7 + 21) characters × 10 bits / 115200 = 2.43 ms: the figures show how far above that floor the twin is.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SerialPort } from 'serialport';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { SystemClock } from '../../firmware-sim/clock.js';
import { PhoneModemPort } from '../../devices/phone/modem-port.js';
import { loadPhoneFixtures } from '../../devices/profiles/phones.js';
import { quantile, report } from './report.js';

const COMMAND = Buffer.from('AT+CSQ\r');
const ANSWER = '\r\n+CSQ: 21,99\r\n\r\nOK\r\n';
const FLOOR_MS = ((COMMAND.length + ANSWER.length) * 10 * 1000) / 115200;
const dir = mkdtempSync(path.join(os.tmpdir(), 'benchtwin-bench-'));
// No card: +CSQ needs only the radio, and the benchmark measures the line and the interpreter.
const twin = new PhoneModemPort({
  name: 'at-roundtrip',
  profile: loadPhoneFixtures()['seed001']!,
  clock: new SystemClock(),
  runtimeDir: dir,
});
let host: SerialPort;
let text = '';
let onData: (() => void) | undefined;
const samples: number[] = [];

async function roundTrip(): Promise<number> {
  text = '';
  const t0 = performance.now();
  const done = new Promise<void>((resolve) => {
    onData = () => {
      if (text.endsWith('\r\nOK\r\n')) resolve();
    };
  });
  host.write(COMMAND);
  await done;
  return performance.now() - t0;
}

beforeAll(async () => {
  await twin.open();
  host = new SerialPort({ path: twin.path, baudRate: 115200, autoOpen: false });
  await new Promise<void>((resolve, reject) => host.open((err) => (err ? reject(err) : resolve())));
  host.on('data', (chunk: Buffer) => {
    text += chunk.toString('latin1');
    onData?.();
  });
  host.write('ATE0\r');
  await new Promise((r) => setTimeout(r, 50));
  if (!(await roundTrip())) throw new Error('no answer');
  if (text !== ANSWER) throw new Error(`unexpected answer ${JSON.stringify(text)}`);
});

afterAll(async () => {
  await new Promise<void>((resolve) => host.close(() => resolve()));
  twin.close();
  rmSync(dir, { recursive: true, force: true });
  const median = quantile(samples, 0.5);
  const p99 = quantile(samples, 0.99);
  report(
    `AT round trip, wall clock, 115200 8N1, ${samples.length} × AT+CSQ (line floor ${FLOOR_MS.toFixed(2)} ms)`,
    [
      {
        figure: 'round trip, median',
        value: `${median.toFixed(2)} ms`,
        target: `≤ floor + 2 ms`,
        met: median <= FLOOR_MS + 2,
      },
      {
        figure: 'round trip, p99',
        value: `${p99.toFixed(2)} ms`,
        target: `≤ floor + 5 ms`,
        met: p99 <= FLOOR_MS + 5,
      },
      {
        figure: 'round trip, min',
        value: `${Math.min(...samples).toFixed(2)} ms`,
        target: `≥ floor`,
        met: Math.min(...samples) >= FLOOR_MS * 0.95,
      },
    ],
  );
});

describe('AT round trip', () => {
  bench(
    'AT+CSQ → OK over the PTY at 115200 baud',
    async () => {
      samples.push(await roundTrip());
    },
    { iterations: 300, warmupIterations: 10, time: 0 },
  );
});
