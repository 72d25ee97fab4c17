/**
 * `benchtwin describe <profile> --descriptor` as a user runs it. The printed hex dump is read back and handed
 * to Wireshark's own HID report-descriptor parser (tshark's usbhid dissector) — an independent parser.
 */
import { describe, expect, it } from 'vitest';
import { hasTshark } from '../oracles.js';
import { hexDumpBytes, hidDescriptorOracle, type HidOracleCollection } from '../hid-oracle.js';
import { runCli } from './cli.js';

async function describeCli(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const cli = runCli(['describe', ...args]);
  const code = await cli.exited;
  return { code, out: cli.stdout(), err: cli.stderr() };
}

function flatten(cs: HidOracleCollection[]): HidOracleCollection[] {
  return cs.flatMap((c) => [c, ...flatten(c.children)]);
}

describe('benchtwin describe --descriptor', () => {
  it.skipIf(!hasTshark)(
    'prints a HID POS descriptor that Wireshark reads as a Barcode Scanner collection (0x8C:0x02) whose input report carries Decoded Data (0x8C:0xFE) (needs tshark)',
    async () => {
      for (const profile of ['honeywell-1900', 'zebra-ds4308']) {
        const r = await describeCli(profile, '--descriptor');
        expect(r.code, r.err).toBe(0);
        expect(r.out).toContain('Usage Page (Barcode Scanner)');
        const bytes = hexDumpBytes(r.out);
        expect(bytes, 'a hex dump in the output').toBeDefined();
        const oracle = (await hidDescriptorOracle(bytes!))!;
        expect(oracle.problems).toEqual([]);
        const app = oracle.collections.find((c) => c.type === 1 && c.usagePage === 0x8c && c.usage === 0x02);
        expect(app, 'an Application collection on page 0x8C, usage 0x02').toBeDefined();
        const inputs = flatten([app!]).flatMap((c) => c.mainItems.filter((m) => m.kind === 'input'));
        expect(inputs.some((m) => m.usages.includes(0x008c00fe))).toBe(true);
      }
    },
  );

  it.skipIf(!hasTshark)(
    'prints the wedge interface as a boot keyboard with its LED output report (needs tshark)',
    async () => {
      const r = await describeCli('honeywell-1900', '--descriptor', '--mode', 'wedge');
      expect(r.code).toBe(0);
      const oracle = (await hidDescriptorOracle(hexDumpBytes(r.out)!))!;
      expect(oracle.collections.some((c) => c.type === 1 && c.usagePage === 0x01 && c.usage === 0x06)).toBe(
        true,
      );
      expect(oracle.outputUsages.some((u) => u >>> 16 === 0x08)).toBe(true);
    },
  );

  it('prints JSON items and refuses what it cannot describe', async () => {
    const r = await describeCli('honeywell-1900', '--descriptor', '--json');
    const body = JSON.parse(r.out) as {
      hex: string;
      items: { name: string; text: string }[];
      problems: unknown[];
    };
    expect(body.hex.startsWith('058c0902a101')).toBe(true);
    expect(body.items.some((i) => i.text.includes('Decoded Data'))).toBe(true);
    expect(body.problems).toEqual([]);
    const bad = await describeCli('no-such-profile');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(
      /unknown profile "no-such-profile": expected one of honeywell-1900, zebra-ds4308/,
    );
    const card = await describeCli('usim-seed001', '--descriptor');
    expect(card.code).toBe(2);
    expect(card.err).toContain('is a card profile');
  });
});
