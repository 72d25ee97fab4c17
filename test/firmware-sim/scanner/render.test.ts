import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { Gs1Error } from '../../../firmware-sim/scanner/gs1.js';
import { bwipText, renderSymbol } from '../../../firmware-sim/scanner/render.js';
import { decodePng } from '../../../firmware-sim/scanner/decode.js';

const FIXTURE = fileURLToPath(new URL('../../../fixtures/images/qr-pay.png', import.meta.url));

/** Width of the all-white frame around the dark pixels, per side. */
function whiteFrame(png: Buffer): {
  left: number;
  right: number;
  top: number;
  bottom: number;
  opaque: boolean;
} {
  const img = PNG.sync.read(png);
  let minX = img.width;
  let maxX = -1;
  let minY = img.height;
  let maxY = -1;
  let opaque = true;
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      const p = (y * img.width + x) * 4;
      if (img.data[p + 3] !== 255) opaque = false;
      if ((img.data[p] ?? 255) < 128) {
        minX = Math.min(minX, x);
        maxX = Math.max(maxX, x);
        minY = Math.min(minY, y);
        maxY = Math.max(maxY, y);
      }
    }
  }
  return { left: minX, right: img.width - 1 - maxX, top: minY, bottom: img.height - 1 - maxY, opaque };
}

describe('renderSymbol', () => {
  it('draws on an opaque white background with a quiet zone (EAN-13: 12 modules at scale 2)', async () => {
    const f = whiteFrame(await renderSymbol('ean13', '4901234567894', { scale: 2 }));
    expect(f.opaque).toBe(true);
    expect(f.left).toBeGreaterThanOrEqual(24);
    expect(f.right).toBeGreaterThanOrEqual(24);
    expect(f.top).toBeGreaterThanOrEqual(24);
  });

  it('gives QR its 4-module quiet zone (6 px per module at scale 3)', async () => {
    const f = whiteFrame(await renderSymbol('qr', 'PAY:8f3a9c1e;AMT=1200', { scale: 3 }));
    expect(f.opaque).toBe(true);
    for (const side of [f.left, f.right, f.top, f.bottom]) expect(side).toBe(24);
  });

  it('honours margin and scale', async () => {
    const a = PNG.sync.read(await renderSymbol('qr', 'X', { scale: 1, margin: 0 }));
    const b = PNG.sync.read(await renderSymbol('qr', 'X', { scale: 2, margin: 4 }));
    expect(a.width).toBe(42); // version 1: 21 modules × 2 px
    expect(b.width).toBe(21 * 4 + 2 * 4 * 4);
    await expect(renderSymbol('qr', 'X', { scale: 0 })).rejects.toThrow(RangeError);
    await expect(renderSymbol('qr', 'X', { margin: -1 })).rejects.toThrow(RangeError);
  });

  it('takes GS1 content in HRI or transmitted form', async () => {
    expect(bwipText('gs1-128', '0109501101530003\u001d10AB-123')).toBe('(01)09501101530003(10)AB-123');
    expect(bwipText('gs1-128', '(01)09501101530003(10)AB-123')).toBe('(01)09501101530003(10)AB-123');
    expect(bwipText('qr', '(01)x')).toBe('(01)x');
    const png = await renderSymbol('gs1-128', '010950110153000310AB-123');
    expect(decodePng(png)?.aim).toBe(']C1');
  });

  it('rejects what the symbology cannot hold', async () => {
    await expect(renderSymbol('gs1-128', '(01)09501101530004')).rejects.toThrow(Gs1Error);
    await expect(renderSymbol('databar', '(01)09501101530003(10)A')).rejects.toThrow(/exactly one AI/);
    await expect(renderSymbol('ean13', '4901234567890')).rejects.toThrow(/check/i);
    await expect(renderSymbol('ean8', 'ABC')).rejects.toThrow();
  });

  it('is deterministic (same pixels every time)', async () => {
    const a = PNG.sync.read(await renderSymbol('datamatrix', 'same'));
    const b = PNG.sync.read(await renderSymbol('datamatrix', 'same'));
    expect(Buffer.compare(a.data, b.data)).toBe(0);
  });

  it('the committed fixture fixtures/images/qr-pay.png is this renderer’s QR of PAY:8f3a9c1e;AMT=1200', async () => {
    const fixture = PNG.sync.read(readFileSync(FIXTURE));
    const fresh = PNG.sync.read(await renderSymbol('qr', 'PAY:8f3a9c1e;AMT=1200', { scale: 3 }));
    expect([fixture.width, fixture.height]).toEqual([fresh.width, fresh.height]);
    expect(Buffer.compare(fixture.data, fresh.data)).toBe(0);
    const d = decodePng(readFileSync(FIXTURE));
    expect(d?.aim).toBe(']Q1');
    expect(Buffer.from(d?.data ?? []).toString('latin1')).toBe('PAY:8f3a9c1e;AMT=1200');
  });
});
