/**
 * The handset's display as a PNG (for `GET <control>/screen` and the dashboard): a 240 × 320 portrait
 * screen, as on a feature phone. From top to bottom: the status bar (signal bars, operator, battery), the
 * title (inverted), the body (text lines, the choice list with the highlighted item inverted, the input
 * field, a barcode), the soft-key labels; a notification is drawn as a framed box over the body.
 *
 * Text uses the handset's own 5 × 7 font (font.ts) at 2 × in the title, body and soft keys (20 characters a
 * line) and 1 × in the status bar. Barcodes come from the scanner's renderer (bwip-js, white background and
 * quiet zone) at the largest scale that fits, turned a quarter when a linear symbol is too wide to fit
 * upright — so the PNG can be put in front of an emulated or real scanner and read.
 */
import { PNG } from 'pngjs';
import { renderSymbol } from '../../scanner/render.js';
import { symbologyInfo } from '../../scanner/symbology.js';
import { CELL_HEIGHT, CELL_WIDTH, GLYPH_HEIGHT, GLYPH_WIDTH, glyphPixel } from './font.js';
import type { ScreenJson } from './screen.js';

export const SCREEN_WIDTH = 240;
export const SCREEN_HEIGHT = 320;

/** Geometry of the layout, exported so tests can find what they look for. */
export const Layout = {
  statusHeight: 16,
  titleTop: 16,
  titleHeight: 20,
  bodyTop: 40,
  softKeyHeight: 20,
  /** Text scale of title, body and soft keys. */
  textScale: 2,
  margin: 4,
} as const;

const BLACK = 0;
const WHITE = 255;
const GREY = 160;

/** Characters per body line. */
export const BODY_COLUMNS = Math.floor((SCREEN_WIDTH - 2 * Layout.margin) / (CELL_WIDTH * Layout.textScale));

/** A grey-level canvas. */
class Raster {
  readonly pixels: Uint8Array;
  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.pixels = new Uint8Array(width * height).fill(WHITE);
  }

  fill(x: number, y: number, w: number, h: number, level: number): void {
    const x0 = Math.max(0, x);
    const y0 = Math.max(0, y);
    const x1 = Math.min(this.width, x + w);
    const y1 = Math.min(this.height, y + h);
    for (let yy = y0; yy < y1; yy++) this.pixels.fill(level, yy * this.width + x0, yy * this.width + x1);
  }

  frame(x: number, y: number, w: number, h: number, level: number): void {
    this.fill(x, y, w, 1, level);
    this.fill(x, y + h - 1, w, 1, level);
    this.fill(x, y, 1, h, level);
    this.fill(x + w - 1, y, 1, h, level);
  }

  /** Draws text with its top-left cell corner at (x, y); returns the x after the last cell. */
  text(x: number, y: number, text: string, scale: number, level: number): number {
    for (const ch of text) {
      for (let gy = 0; gy < GLYPH_HEIGHT; gy++) {
        for (let gx = 0; gx < GLYPH_WIDTH; gx++) {
          if (glyphPixel(ch, gx, gy)) this.fill(x + gx * scale, y + gy * scale, scale, scale, level);
        }
      }
      x += CELL_WIDTH * scale;
    }
    return x;
  }

  /** Copies an RGBA image (as grey) with its top-left corner at (x, y). */
  blit(x: number, y: number, img: Grey): void {
    for (let yy = 0; yy < img.height; yy++) {
      const ty = y + yy;
      if (ty < 0 || ty >= this.height) continue;
      for (let xx = 0; xx < img.width; xx++) {
        const tx = x + xx;
        if (tx < 0 || tx >= this.width) continue;
        this.pixels[ty * this.width + tx] = img.pixels[yy * img.width + xx]!;
      }
    }
  }

  toPng(): Buffer {
    const png = new PNG({
      width: this.width,
      height: this.height,
      colorType: 0,
      inputColorType: 0,
      inputHasAlpha: false,
    });
    png.data = Buffer.from(this.pixels);
    return PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false });
  }
}

interface Grey {
  width: number;
  height: number;
  pixels: Uint8Array;
}

function greyFromPng(buffer: Buffer): Grey {
  const png = PNG.sync.read(buffer);
  const pixels = new Uint8Array(png.width * png.height);
  for (let i = 0; i < pixels.length; i++) {
    const a = png.data[i * 4 + 3]! / 255;
    const l = (png.data[i * 4]! * 299 + png.data[i * 4 + 1]! * 587 + png.data[i * 4 + 2]! * 114) / 1000;
    // Transparent pixels are white: the screen's background.
    pixels[i] = Math.round(l * a + WHITE * (1 - a));
  }
  return { width: png.width, height: png.height, pixels };
}

function rotate(img: Grey): Grey {
  const out = new Uint8Array(img.pixels.length);
  // A quarter turn clockwise: (x, y) → (height − 1 − y, x).
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++)
      out[x * img.height + (img.height - 1 - y)] = img.pixels[y * img.width + x]!;
  }
  return { width: img.height, height: img.width, pixels: out };
}

/** Splits text into lines of at most `columns` characters, at spaces where possible. */
export function wrap(text: string, columns: number): string[] {
  const out: string[] = [];
  for (const paragraph of text.split('\n')) {
    let rest = paragraph;
    while (rest.length > columns) {
      const cut = rest.lastIndexOf(' ', columns);
      const at = cut > 0 ? cut : columns;
      out.push(rest.slice(0, at));
      rest = rest.slice(cut > 0 ? at + 1 : at);
    }
    out.push(rest);
  }
  return out;
}

function fit(text: string, columns: number): string {
  return text.length > columns ? `${text.slice(0, Math.max(0, columns - 1))}~` : text;
}

/** Barcode image fitted into a box of w × h pixels, or undefined when it cannot be. */
async function barcodeImage(screen: ScreenJson, w: number, h: number): Promise<Grey | undefined> {
  const image = screen.image;
  if (!image) return undefined;
  const twoD = symbologyInfo(image.symbology).twoD;
  let rotated: Grey | undefined;
  for (const scale of [4, 3, 2, 1]) {
    let g: Grey;
    try {
      g = greyFromPng(await renderSymbol(image.symbology, image.text, { scale }));
    } catch {
      return undefined;
    }
    if (g.width <= w && g.height <= h) return g;
    if (!twoD && !rotated && g.height <= w && g.width <= h) rotated = rotate(g);
  }
  return rotated;
}

/** The screen as a PNG (8-bit grey). Rejects only on a PNG encoder failure. */
export async function renderScreenPng(screen: ScreenJson): Promise<Buffer> {
  const r = new Raster(SCREEN_WIDTH, SCREEN_HEIGHT);
  const s = Layout.textScale;
  const m = Layout.margin;
  const cellW = CELL_WIDTH * s;
  const cellH = CELL_HEIGHT * s;

  drawStatus(r, screen);

  // Title, inverted.
  r.fill(0, Layout.titleTop, SCREEN_WIDTH, Layout.titleHeight, BLACK);
  const title = fit(screen.title, BODY_COLUMNS);
  r.text(Math.floor((SCREEN_WIDTH - title.length * cellW) / 2), Layout.titleTop + 3, title, s, WHITE);

  // Soft keys.
  const softTop = SCREEN_HEIGHT - Layout.softKeyHeight;
  r.fill(0, softTop, SCREEN_WIDTH, 1, BLACK);
  const half = Math.floor(BODY_COLUMNS / 2);
  if (screen.softKeys.left) r.text(m, softTop + 3, fit(screen.softKeys.left, half), s, BLACK);
  if (screen.softKeys.right) {
    const label = fit(screen.softKeys.right, half);
    r.text(SCREEN_WIDTH - m - label.length * cellW, softTop + 3, label, s, BLACK);
  }

  // Body.
  const bodyBottom = softTop - 2;
  let y = Layout.bodyTop;
  const line = (text: string, level = BLACK): void => {
    if (y + cellH > bodyBottom) return;
    r.text(m, y, text, s, level);
    y += cellH;
  };
  for (const l of screen.lines) for (const w of wrap(l, BODY_COLUMNS)) line(w);

  if (screen.choices) {
    const { items, selected } = screen.choices;
    const rows = Math.max(1, Math.floor((bodyBottom - y) / (cellH + 2)));
    // Scroll so that the highlighted item is visible.
    const first = Math.max(0, Math.min(selected - rows + 1, items.length - rows));
    for (let i = first; i < items.length && i < first + rows; i++) {
      const label = fit(`${i < 9 ? `${i + 1} ` : '  '}${items[i]}`, BODY_COLUMNS);
      if (i === selected) {
        r.fill(0, y - 1, SCREEN_WIDTH, cellH + 2, BLACK);
        r.text(m, y + 1, label, s, WHITE);
      } else {
        r.text(m, y + 1, label, s, BLACK);
      }
      y += cellH + 2;
    }
  }

  if (screen.input) {
    const input = screen.input;
    for (const w of wrap(input.label, BODY_COLUMNS)) line(w);
    const boxTop = y + 2;
    if (boxTop + cellH + 6 <= bodyBottom) {
      r.frame(m - 2, boxTop, SCREEN_WIDTH - 2 * (m - 2), cellH + 6, BLACK);
      // The end of a long value stays visible, as a phone scrolls its field.
      const visible = input.value.slice(-(BODY_COLUMNS - 1));
      const end = r.text(m, boxTop + 3, visible, s, BLACK);
      // Cursor: a bar after the text; under the last character while a multi-tap is open.
      if (input.pending && visible.length > 0)
        r.fill(end - cellW, boxTop + 3 + cellH - 2, cellW - s, s, BLACK);
      else r.fill(end, boxTop + 3, s, cellH - s, BLACK);
      // The entry mode, small, under the field's right end.
      const mode = input.mode === 'numeric' ? '123' : input.textCase === 'upper' ? 'ABC' : 'abc';
      r.text(SCREEN_WIDTH - m - mode.length * CELL_WIDTH, boxTop + cellH + 8, mode, 1, GREY);
      y = boxTop + cellH + 8 + CELL_HEIGHT + 2;
    }
  }

  if (screen.image) {
    const img = await barcodeImage(screen, SCREEN_WIDTH, bodyBottom - y);
    if (img) {
      r.blit(
        Math.floor((SCREEN_WIDTH - img.width) / 2),
        y + Math.floor((bodyBottom - y - img.height) / 2),
        img,
      );
    } else {
      line('[barcode does not', GREY);
      line(' fit the screen]', GREY);
    }
  }

  if (screen.notification !== null) drawNotification(r, screen.notification);
  return r.toPng();
}

function drawStatus(r: Raster, screen: ScreenJson): void {
  const st = screen.status;
  // Signal: four bars of rising height, filled up to the level.
  for (let i = 0; i < 4; i++) {
    const h = 3 + i * 3;
    const x = 2 + i * 4;
    if (i < st.signalBars) r.fill(x, 14 - h, 3, h, BLACK);
    else r.fill(x, 13, 3, 1, GREY);
  }
  // Battery: a frame with a fill proportional to the level, and a tip.
  const bx = SCREEN_WIDTH - 24;
  if (st.batteryLevel !== undefined) {
    r.frame(bx, 3, 20, 10, BLACK);
    r.fill(bx + 20, 6, 2, 4, BLACK);
    r.fill(bx + 2, 5, Math.round((16 * st.batteryLevel) / 100), 6, BLACK);
    if (st.charging) r.text(bx - 8, 4, '+', 1, BLACK);
  }
  const columns = Math.floor((bx - 28) / CELL_WIDTH);
  const op = fit(st.operator, columns);
  r.text(Math.floor((SCREEN_WIDTH - op.length * CELL_WIDTH) / 2), 4, op, 1, BLACK);
  r.fill(0, Layout.statusHeight - 1, SCREEN_WIDTH, 1, GREY);
}

function drawNotification(r: Raster, text: string): void {
  const s = Layout.textScale;
  const columns = BODY_COLUMNS - 2;
  const lines = wrap(text, columns).slice(0, 6);
  const h = lines.length * CELL_HEIGHT * s + 12;
  const w = SCREEN_WIDTH - 16;
  const top = Math.floor((SCREEN_HEIGHT - h) / 2);
  r.fill(8, top, w, h, WHITE);
  r.frame(8, top, w, h, BLACK);
  r.frame(9, top + 1, w - 2, h - 2, BLACK);
  lines.forEach((l, i) => {
    const x = Math.floor((SCREEN_WIDTH - l.length * CELL_WIDTH * s) / 2);
    r.text(x, top + 6 + i * CELL_HEIGHT * s, l, s, BLACK);
  });
}
