import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  HidDescriptorError,
  parseReportDescriptor,
  type HidReportInfo,
} from '../../../firmware-sim/hid/descriptor.js';
import { BOOT_KEYBOARD_DESCRIPTOR } from '../../../firmware-sim/hid/descriptors/boot-keyboard.js';
import { BOOT_MOUSE_DESCRIPTOR } from '../../../firmware-sim/hid/descriptors/boot-mouse.js';
import { HID_POS_SCANNER_DESCRIPTOR } from '../../../firmware-sim/hid/descriptors/hid-pos-scanner.js';
import { SEVEN_USAGES_DESCRIPTOR } from '../../../firmware-sim/hid/descriptors/seven-usages.js';
import {
  HidReportError,
  extractUsages,
  packReport,
  type UsageValues,
} from '../../../firmware-sim/hid/fields.js';
import { mulberry32 } from '../../../devices/serial/faults.js';

/** A short item with a 4-byte little-endian value. */
const item4 = (prefix: number, value: number): number[] => {
  const v = value >>> 0;
  return [prefix | 0x03, v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
};

interface VariableSpec {
  kind: 'variable';
  size: number;
  count: number;
  signed: boolean;
  usageCount: number;
}
interface ArraySpec {
  kind: 'array';
  count: number;
  usageCount: number;
}
type ItemSpec = VariableSpec | ArraySpec;

const variableSpec = fc.record({
  kind: fc.constant('variable' as const),
  size: fc.integer({ min: 1, max: 32 }),
  count: fc.integer({ min: 1, max: 6 }),
  signed: fc.boolean(),
  usageCount: fc.integer({ min: 1, max: 8 }),
});
const arraySpec = fc.record({
  kind: fc.constant('array' as const),
  count: fc.integer({ min: 1, max: 4 }),
  usageCount: fc.integer({ min: 1, max: 20 }),
});

/** Usage IDs on vendor page 0xFF00: item k owns IDs k*64+1 … k*64+usageCount. */
const usageOf = (k: number, j: number): number => (0xff000000 + k * 64 + j + 1) >>> 0;

function buildDescriptor(specs: ItemSpec[], reportId: number): Uint8Array {
  const out: number[] = [0x06, 0x00, 0xff, 0x09, 0x01, 0xa1, 0x01];
  if (reportId) out.push(0x85, reportId);
  specs.forEach((spec, k) => {
    for (let j = 0; j < spec.usageCount; j++) out.push(0x0a, (k * 64 + j + 1) & 0xff, (k * 64 + j + 1) >> 8);
    if (spec.kind === 'variable') {
      const s = spec.size;
      out.push(...item4(0x14, spec.signed ? -(2 ** (s - 1)) : 0));
      out.push(...item4(0x24, spec.signed ? 2 ** (s - 1) - 1 : 2 ** s - 1));
      out.push(0x75, s, 0x95, spec.count, 0x81, 0x02);
    } else {
      out.push(0x15, 0x00, 0x25, spec.usageCount - 1, 0x75, 0x08, 0x95, spec.count, 0x81, 0x00);
    }
  });
  out.push(0xc0);
  return Uint8Array.from(out);
}

/** Values for a descriptor of these specs, from a stream of random integers. */
function valuesFor(specs: ItemSpec[], randoms: number[]): UsageValues {
  let r = 0;
  const rand = (): number => randoms[r++ % randoms.length] ?? 0;
  const values: UsageValues = new Map();
  const push = (u: number, v: number): void => {
    const list = values.get(u);
    if (list) list.push(v);
    else values.set(u, [v]);
  };
  specs.forEach((spec, k) => {
    if (spec.kind === 'variable') {
      const span = 2 ** spec.size;
      for (let i = 0; i < spec.count; i++) {
        const raw = rand() % span;
        const value = spec.signed && raw >= span / 2 ? raw - span : raw;
        push(usageOf(k, Math.min(i, spec.usageCount - 1)), value);
      }
    } else {
      const selected = rand() % (spec.count + 1);
      for (let i = 0; i < selected; i++) push(usageOf(k, rand() % spec.usageCount), 1);
    }
  });
  return values;
}

const specsArb = fc.array(fc.oneof(variableSpec, arraySpec), { minLength: 1, maxLength: 6 });
const randomsArb = fc.array(fc.nat({ max: 0xffffffff }), { minLength: 1, maxLength: 64 });

describe('HID report descriptor: properties', () => {
  it('pack → extract round trips for generated descriptors', () => {
    fc.assert(
      fc.property(specsArb, fc.integer({ min: 0, max: 255 }), randomsArb, (specs, reportId, randoms) => {
        const d = parseReportDescriptor(buildDescriptor(specs, reportId));
        expect(d.inputReports).toHaveLength(1);
        const info = d.inputReports[0]!;
        expect(info.reportId).toBe(reportId);
        const bits = specs.reduce((n, s) => n + (s.kind === 'variable' ? s.size : 8) * s.count, 0);
        expect(info.byteLength).toBe(Math.ceil(bits / 8) + (reportId ? 1 : 0));
        const values = valuesFor(specs, randoms);
        const report = packReport(info, values);
        expect(extractUsages(report, info)).toEqual(values);
        expect(packReport(info, extractUsages(report, info))).toEqual(report);
      }),
      { numRuns: 500 },
    );
  });

  it('arbitrary bytes → a parse result or a HidDescriptorError; reports of a parsed one read without crashing', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 256 }),
        fc.uint8Array({ maxLength: 64 }),
        (bytes, reportBytes) => {
          let infos: HidReportInfo[];
          try {
            const d = parseReportDescriptor(bytes);
            infos = [...d.inputReports, ...d.outputReports, ...d.featureReports];
          } catch (e) {
            expect(e).toBeInstanceOf(HidDescriptorError);
            return;
          }
          for (const info of infos) {
            try {
              const report = new Uint8Array(info.byteLength);
              report.set(reportBytes.subarray(0, info.byteLength));
              if (info.reportId) report[0] = info.reportId;
              packReport(info, extractUsages(report, info));
            } catch (e) {
              expect(e).toBeInstanceOf(HidReportError);
            }
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});

/** A seeded PRNG, so the fuzz run is the same every time. */
const prng = mulberry32;

function mutate(source: Uint8Array, random: () => number): Uint8Array {
  const bytes = [...source];
  const pick = (n: number): number => Math.floor(random() * n);
  const rounds = 1 + pick(4);
  for (let r = 0; r < rounds; r++) {
    const at = pick(bytes.length + 1);
    switch (pick(6)) {
      case 0:
        if (at < bytes.length) bytes[at] = (bytes[at] ?? 0) ^ (1 << pick(8));
        break;
      case 1:
        if (at < bytes.length) bytes[at] = pick(256);
        break;
      case 2:
        bytes.splice(at, 0, pick(256));
        break;
      case 3:
        bytes.splice(at, 1);
        break;
      case 4:
        bytes.length = Math.min(bytes.length, at);
        break;
      default: {
        const len = 1 + pick(8);
        bytes.splice(pick(bytes.length + 1), 0, ...bytes.slice(at, at + len));
      }
    }
  }
  return Uint8Array.from(bytes);
}

describe('HID report descriptor: fuzz', () => {
  it('20 000 mutated golden descriptors: no exception but HidDescriptorError, bounded time', () => {
    const random = prng(0x8c02);
    const goldens = [
      BOOT_KEYBOARD_DESCRIPTOR,
      BOOT_MOUSE_DESCRIPTOR,
      HID_POS_SCANNER_DESCRIPTOR,
      SEVEN_USAGES_DESCRIPTOR,
    ];
    let parsed = 0;
    let refused = 0;
    const started = performance.now();
    for (let i = 0; i < 20_000; i++) {
      const bytes = mutate(goldens[i % goldens.length]!, random);
      try {
        const d = parseReportDescriptor(bytes);
        parsed++;
        for (const info of d.inputReports) {
          try {
            extractUsages(packReport(info, new Map()), info);
          } catch (e) {
            if (!(e instanceof HidReportError)) throw e;
          }
        }
      } catch (e) {
        if (!(e instanceof HidDescriptorError)) throw e;
        refused++;
      }
    }
    expect(parsed).toBeGreaterThan(1000);
    expect(refused).toBeGreaterThan(1000);
    expect(performance.now() - started).toBeLessThan(20_000);
  });

  it('parsing is linear: 1 MiB of collections, nesting or Push items parses fast and without stack overflow', () => {
    const repeat = (unit: number[], bytes: number): number[] => {
      const out: number[] = [];
      while (out.length + unit.length <= bytes) out.push(...unit);
      return out;
    };
    const mib = 1 << 20;
    const flat = repeat([0x09, 0x01, 0xa1, 0x00, 0xc0], mib);
    const depth = mib / 4;
    const nested = [
      ...new Array<number[]>(depth).fill([0xa1, 0x00]).flat(),
      ...new Array<number>(depth).fill(0xc0),
    ];
    const pushes = repeat([0xa4], mib);
    for (const bytes of [flat, nested, pushes]) {
      const started = performance.now();
      parseReportDescriptor(Uint8Array.from(bytes));
      expect(performance.now() - started).toBeLessThan(5_000);
    }
    // An unterminated deep nest is refused at the end, naming the innermost open collection.
    const unterminated = Uint8Array.from(new Array<number[]>(depth).fill([0xa1, 0x00]).flat());
    expect(() => parseReportDescriptor(unterminated)).toThrow(HidDescriptorError);
  });
});
