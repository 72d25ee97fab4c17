/**
 * OBEX PUT throughput over the IR twin on the wall clock: the terminal driver (serialport on the PTY)
 * discovers the twin, connects at the negotiated speed and PUTs an object; throughput is the object's
 * bytes over the time from the first Put packet to the final response, against the line rate of
 * 8N1 at that speed (baud / 10 bytes per second). Target (issue [ir]): ≥ 80 % of the line rate at
 * window 7. At 9600 baud IrLAP's line-capacity rule (one station may hold the line ≤ 500 ms) limits the
 * window × data size product, so the negotiated window is printed beside the figure.
 *
 * Recovery: a 50 ms burst during which every byte both ways is corrupted, in the middle of a 16 KB PUT at
 * 115200 baud; the recovery time is how much longer that PUT took than a clean one, less the burst. The
 * issue sets no number; IrLAP's design bound is about one F-timer (peer turnaround 500 ms + 200 ms).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, bench, describe } from 'vitest';
import { SystemClock } from '../../firmware-sim/clock.js';
import { IrDeviceTwin } from '../../devices/ir/ir-twin.js';
import type { NegotiatedQos } from '../../devices/ir/irlap/params.js';
import { mulberry32 } from '../../devices/serial/faults.js';
import { IrObexDriver } from '../../host/drivers/phone/ir-obex.js';
import { quantile, report } from './report.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'benchtwin-ir-bench-'));
const results = new Map<number, { rates: number[]; qos?: NegotiatedQos }>();

function payload(n: number): Uint8Array {
  const r = mulberry32(n);
  return Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
}

interface Rig {
  twin: IrDeviceTwin;
  driver: IrObexDriver;
}
const rigs = new Map<number, Promise<Rig>>();

function rig(baud: number): Promise<Rig> {
  let r = rigs.get(baud);
  if (!r) {
    r = (async () => {
      const clock = new SystemClock();
      const twin = new IrDeviceTwin({
        name: `ir-${baud}`,
        nickname: 'Phone-bench',
        clock,
        runtimeDir: dir,
        maxBaud: baud,
      });
      await twin.open();
      const driver = await IrObexDriver.open({ path: twin.path, clock, maxBaud: baud, seed: baud });
      const { qos } = await driver.connect({ nickname: 'Phone-bench' });
      results.set(baud, { rates: [], qos });
      return { twin, driver };
    })();
    rigs.set(baud, r);
  }
  return r;
}

async function putOnce(baud: number, size: number): Promise<void> {
  const { driver } = await rig(baud);
  const body = payload(size);
  const t0 = performance.now();
  await driver.put('bench.bin', body);
  const seconds = (performance.now() - t0) / 1000;
  results.get(baud)!.rates.push(size / seconds);
}

const recovery: number[] = [];
const cleanPut: number[] = [];
const BURST_MS = 50;

async function putWithBurst(burst: boolean): Promise<void> {
  const { driver, twin } = await rig(115200);
  const body = payload(16 * 1024);
  const t0 = performance.now();
  let timer: NodeJS.Timeout | undefined;
  if (burst) {
    timer = setTimeout(() => {
      const all = { corruptRate: 1 };
      twin.port.setFaults({ toHost: all, fromHost: all });
      timer = setTimeout(() => twin.port.setFaults({}), BURST_MS);
    }, 300);
  }
  await driver.put('burst.bin', body);
  clearTimeout(timer);
  twin.port.setFaults({});
  const ms = performance.now() - t0;
  if (!burst) cleanPut.push(ms);
  else recovery.push(ms - quantile(cleanPut, 0.5) - BURST_MS);
}

afterAll(async () => {
  for (const r of rigs.values()) {
    const { twin, driver } = await r;
    await driver.close();
    twin.close();
  }
  rmSync(dir, { recursive: true, force: true });
  const figures = [...results.entries()].map(([baud, r]) => {
    const line = baud / 10;
    const median = quantile(r.rates, 0.5);
    return {
      figure: `OBEX PUT at ${baud} baud (window ${r.qos?.txWindow}, data size ${r.qos?.txDataSize})`,
      value: `${(median / 1000).toFixed(2)} kB/s = ${((100 * median) / line).toFixed(1)} %`,
      target: `≥ 80 % of ${(line / 1000).toFixed(2)} kB/s`,
      met: median >= 0.8 * line,
    };
  });
  if (recovery.length) {
    figures.push({
      figure: `recovery after a ${BURST_MS} ms burst of corrupted frames, median`,
      value: `${quantile(recovery, 0.5).toFixed(0)} ms`,
      target: '- (≈ one F-timer)',
      met: true,
    });
  }
  report('IrDA OBEX PUT throughput, wall clock, twin ↔ driver over a PTY', figures);
});

describe('ir obex put', () => {
  bench('PUT 4 KB at 9600 baud', () => putOnce(9600, 4096), { iterations: 3, warmupIterations: 0, time: 0 });
  bench('PUT 48 KB at 115200 baud', () => putOnce(115200, 48 * 1024), {
    iterations: 3,
    warmupIterations: 0,
    time: 0,
  });
  bench('PUT 16 KB at 115200 baud, clean (recovery baseline)', () => putWithBurst(false), {
    iterations: 3,
    warmupIterations: 0,
    time: 0,
  });
  bench('PUT 16 KB at 115200 baud with a burst of corrupted frames', () => putWithBurst(true), {
    iterations: 3,
    warmupIterations: 0,
    time: 0,
  });
});
