/**
 * Image decode throughput of the scanner twin's engine (zxing, in-process) against zbarimg (Debian
 * zbar-tools, C) on the same PNG files, as a ratio. zbarimg decodes every file in one process per round, so
 * its process start is spread over the files. Only symbologies both read are compared.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { decodePng } from '../../firmware-sim/scanner/decode.js';
import { renderSymbol } from '../../firmware-sim/scanner/render.js';
import type { Symbology } from '../../firmware-sim/scanner/symbology.js';
import { report } from './report.js';
import { hasZbar } from '../oracles.js';

const SET: { symbology: Symbology; text: string }[] = [
  { symbology: 'ean13', text: '4901234567894' },
  { symbology: 'code128', text: 'BENCHTWIN-128' },
  { symbology: 'gs1-128', text: '(01)09501101530003(17)270704(10)AB-123' },
  { symbology: 'qr', text: 'PAY:8f3a9c1e;AMT=1200' },
  { symbology: 'code39', text: 'CODE39' },
  { symbology: 'itf', text: '12345678901231' },
];

const dir = mkdtempSync(path.join(os.tmpdir(), 'benchtwin-bench-'));
const files: string[] = [];
const images: Buffer[] = [];
const zbar = hasZbar;
const time = { ours: [] as number[], zbar: [] as number[] };

beforeAll(async () => {
  for (const s of SET) {
    const file = path.join(dir, `${s.symbology}.png`);
    writeFileSync(file, await renderSymbol(s.symbology, s.text, { scale: 3 }));
    files.push(file);
    images.push(readFileSync(file));
  }
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  const sum = (a: number[]): number => a.reduce((x, y) => x + y, 0);
  const oursRate = (time.ours.length * files.length) / (sum(time.ours) / 1000);
  const figures = [
    { figure: 'benchtwin decodePng', value: `${oursRate.toFixed(1)} img/s`, target: '-', met: true },
  ];
  if (zbar && time.zbar.length) {
    const zbarRate = (time.zbar.length * files.length) / (sum(time.zbar) / 1000);
    figures.push({
      figure: 'zbarimg (one process per round)',
      value: `${zbarRate.toFixed(1)} img/s`,
      target: '-',
      met: true,
    });
    figures.push({
      figure: 'ratio benchtwin / zbarimg',
      value: (oursRate / zbarRate).toFixed(2),
      target: 'reported',
      met: true,
    });
  } else {
    figures.push({ figure: 'zbarimg', value: 'skipped', target: 'needs zbar-tools', met: true });
  }
  report(
    `image decode throughput, ${files.length} PNGs at 3× scale (${SET.map((s) => s.symbology).join(', ')})`,
    figures,
  );
});

describe('image decode', () => {
  bench(
    'benchtwin decodePng, all images',
    () => {
      const t0 = performance.now();
      for (const img of images) if (!decodePng(img)) throw new Error('no read');
      time.ours.push(performance.now() - t0);
    },
    { iterations: 30, warmupIterations: 3, time: 0 },
  );
  bench.skipIf(!zbar)(
    'zbarimg --raw -q, all images (needs zbar-tools)',
    () => {
      const t0 = performance.now();
      const out = execFileSync('zbarimg', ['--raw', '-q', ...files]).toString();
      if (out.trim().split('\n').length !== files.length) throw new Error(`zbarimg read ${out}`);
      time.zbar.push(performance.now() - t0);
    },
    { iterations: 30, warmupIterations: 3, time: 0 },
  );
});
