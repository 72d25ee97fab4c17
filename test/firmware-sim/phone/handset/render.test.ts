/**
 * The screen as a PNG: size, a known glyph's pixels, and barcodes read back from the whole screen by the
 * scanner's decoder (zxing, an independent implementation of the symbologies bwip-js draws).
 */
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { decodePng } from '../../../../firmware-sim/scanner/decode.js';
import { glyphRows } from '../../../../firmware-sim/phone/handset/font.js';
import {
  Layout,
  renderScreenPng,
  SCREEN_HEIGHT,
  SCREEN_WIDTH,
  wrap,
} from '../../../../firmware-sim/phone/handset/render.js';
import { Screen } from '../../../../firmware-sim/phone/handset/screen.js';
import type { ScreenContent } from '../../../../firmware-sim/phone/handset/screen.js';

async function render(content: ScreenContent, notification?: string) {
  const screen = new Screen();
  screen.show(content);
  if (notification) screen.setNotification(notification);
  const png = PNG.sync.read(await renderScreenPng(screen.toJSON()));
  const dark = (x: number, y: number) => png.data[(y * png.width + x) * 4]! < 128;
  return { png, dark };
}

/** 'H' and 'A' as a reader of this test sees them: 5 × 7, '#' set. */
const H = ['#...#', '#...#', '#...#', '#####', '#...#', '#...#', '#...#'];
const A = ['.###.', '#...#', '#...#', '#####', '#...#', '#...#', '#...#'];

describe('renderScreenPng', () => {
  it('is a 240 × 320 PNG', async () => {
    const { png } = await render({ title: 'T' });
    expect([png.width, png.height]).toEqual([SCREEN_WIDTH, SCREEN_HEIGHT]);
  });

  it("draws the first body line's glyphs at 2× from the body's top-left corner ('H', then 'A')", async () => {
    const { dark } = await render({ title: '', lines: ['HA'] });
    const s = Layout.textScale;
    for (const [glyph, cell] of [
      [H, 0],
      [A, 1],
    ] as const) {
      for (let y = 0; y < 7; y++) {
        for (let x = 0; x < 5; x++) {
          const px = Layout.margin + cell * 6 * s + x * s;
          const py = Layout.bodyTop + y * s;
          const want = glyph[y]![x] === '#';
          for (const [dx, dy] of [
            [0, 0],
            [1, 1],
          ])
            expect(dark(px + dx!, py + dy!), `${cell} ${x},${y}`).toBe(want);
        }
      }
    }
  });

  it("the font's 'H' is the one drawn above (the data and the art agree)", () => {
    expect(
      glyphRows('H').map((r) => r.toString(2).padStart(5, '0').replace(/0/g, '.').replace(/1/g, '#')),
    ).toEqual(H);
  });

  it("a masked field draws '*' glyphs, never the characters typed", async () => {
    const screen = new Screen();
    screen.show({
      title: 'PIN',
      input: {
        label: 'PIN',
        value: '88',
        masked: true,
        mode: 'numeric',
        maxLength: 8,
        textCase: 'upper',
        pending: false,
      },
    });
    const png = PNG.sync.read(await renderScreenPng(screen.toJSON()));
    const dark = (x: number, y: number) => png.data[(y * png.width + x) * 4]! < 128;
    const s = Layout.textScale;
    // Label on the first body line; the field's frame 2 px below it, its text 3 px inside the frame.
    const top = Layout.bodyTop + 8 * s + 2 + 3;
    const star = glyphRows('*');
    for (let y = 0; y < 7; y++) {
      for (let x = 0; x < 5; x++) {
        const want = ((star[y]! >> (4 - x)) & 1) === 1;
        expect(dark(Layout.margin + x * s, top + y * s), `${x},${y}`).toBe(want);
      }
    }
  });

  it('the title bar is inverted, the highlighted choice too', async () => {
    const { dark } = await render({ title: 'Menu', choices: { items: ['One', 'Two'], selected: 1 } });
    expect(dark(1, Layout.titleTop + 1)).toBe(true);
    const rowH = 8 * Layout.textScale + 2;
    expect(dark(SCREEN_WIDTH - 2, Layout.bodyTop + rowH + 4)).toBe(true);
    expect(dark(SCREEN_WIDTH - 2, Layout.bodyTop + 4)).toBe(false);
  });

  it('a QR code (FLOWS seed 002: a barcode on the phone screen) reads back from the screen PNG', async () => {
    const screen = new Screen();
    screen.show({
      title: 'Pay',
      lines: ['Show to the scanner'],
      image: { kind: 'barcode', symbology: 'qr', text: 'BTPAY-0001-4711' },
    });
    const png = await renderScreenPng(screen.toJSON());
    const read = decodePng(png);
    expect(read?.symbology).toBe('qr');
    expect(Buffer.from(read!.data).toString()).toBe('BTPAY-0001-4711');
  });

  it('a Code 128 too wide to stand upright is turned a quarter and still reads', async () => {
    const text = 'TXN-20261121-000123456789';
    const screen = new Screen();
    screen.show({ title: 'Code', image: { kind: 'barcode', symbology: 'code128', text } });
    const read = decodePng(await renderScreenPng(screen.toJSON()));
    expect(read?.symbology).toBe('code128');
    expect(Buffer.from(read!.data).toString()).toBe(text);
  });

  it('an unencodable barcode is reported on the screen instead of failing the render', async () => {
    const { png } = await render({
      title: 'x',
      image: { kind: 'barcode', symbology: 'ean13', text: 'not digits' },
    });
    expect(png.width).toBe(SCREEN_WIDTH);
  });

  it('a notification box is framed over the body', async () => {
    const { dark } = await render({ title: 'x' }, 'Payment has now been completed');
    const lines = wrap('Payment has now been completed', 18).length;
    const h = lines * 16 + 12;
    expect(dark(8, Math.floor((SCREEN_HEIGHT - h) / 2) + 5)).toBe(true);
  });

  it('wrap breaks at spaces and splits words longer than a line', () => {
    expect(wrap('Payment has now been completed', 20)).toEqual(['Payment has now been', 'completed']);
    expect(wrap('x'.repeat(25), 20)).toEqual(['x'.repeat(20), 'x'.repeat(5)]);
  });
});
