/**
 * Render one barcode as a PNG with the kit's renderer:
 *   npx tsx scripts/render-fixture.ts <symbology> <text> <out.png> [scale]
 * Example: npx tsx scripts/render-fixture.ts qr 'PAY:8f3a9c1e;AMT=1200' fixtures/images/qr-pay.png
 */
import { writeFileSync } from 'node:fs';
import { renderSymbol } from '../firmware-sim/scanner/render.js';
import { parseSymbology, symbologyInfo } from '../firmware-sim/scanner/symbology.js';

const [name, text, out, scaleArg] = process.argv.slice(2);
if (name === undefined || text === undefined || out === undefined) {
  console.error('usage: render-fixture.ts <symbology> <text> <out.png> [scale]');
  process.exit(2);
}
const symbology = parseSymbology(name);
if (!symbology) {
  console.error(`unknown symbology "${name}"`);
  process.exit(2);
}
const scale = scaleArg === undefined ? (symbologyInfo(symbology).twoD ? 3 : 2) : Number(scaleArg);
try {
  writeFileSync(out, await renderSymbol(symbology, text, { scale }));
  console.log(`${out}: ${symbologyInfo(symbology).name} "${text}" at scale ${scale}`);
} catch (e) {
  console.error(`cannot render: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
