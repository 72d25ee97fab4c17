/**
 * Seed-001 checks over what a run left behind:
 *
 *   - expect-iso8583-capture: { role: issuer-a }   tshark's iso8583 dissector reads the credit server's capture:
 *     the authorization request and its response are there (of field 41 `terminalId` when given: the POS's
 *     own in embodiment 2), and no field is malformed;
 *   - expect-no-card-number: { driver: pos }       no card number of the gateway's users appears on the POS
 *     side: the POS journal (database and WAL), the bench's serial and HCI captures, and every transcript
 *     line of the run (the POS↔gateway messages as the POS sent and read them, i.e. decrypted).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { z } from 'zod';
import { loadGatewayFixtures, panDigits } from '../../services/gateway/fixtures.js';
import type { RunningBench } from './bench.js';
import { CreditServiceDevice } from './credit-device.js';
import type { HeldPos } from './scenario-pos.js';

const name = z.string().regex(/^[a-z][a-z0-9-]*$/, 'a name in lower case letters, digits and "-"');

export const CHECK_STEP_SCHEMAS = [
  z
    .object({
      'expect-iso8583-capture': z
        .object({
          role: name,
          /** Message types that must all appear (default: an authorization request and its response). */
          mti: z.array(z.string().regex(/^\d{4}$/)).default(['0100', '0110']),
          /** Count only messages of this card acceptor terminal (field 41), e.g. the POS's own. */
          terminalId: z
            .string()
            .regex(/^[\x20-\x7e]{1,8}$/)
            .optional(),
        })
        .strict(),
    })
    .strict(),
  z.object({ 'expect-no-card-number': z.object({ driver: name }).strict() }).strict(),
] as const;

export const CHECK_STEP_KINDS = ['expect-iso8583-capture', 'expect-no-card-number'];

function tshark(args: string[]): string {
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`tshark: ${r.error.message} (Debian package tshark)`);
  if (r.status !== 0) throw new Error(`tshark: ${r.stderr.trim()}`);
  return r.stdout;
}

/** The ways a card number can be written: digits, with dashes, and in groups of four with spaces. */
function spellings(cardNumber: string): string[] {
  const d = panDigits(cardNumber);
  return [d, cardNumber, d.replace(/(\d{4})(?=\d)/g, '$1 ')];
}

function filesOf(bench: RunningBench, pos: HeldPos, captureDir: string | undefined): string[] {
  const files = [pos.dbFile, `${pos.dbFile}-wal`].filter((f) => existsSync(f));
  if (captureDir && existsSync(captureDir)) {
    for (const f of readdirSync(captureDir)) {
      // POS-side links: the serial lines (mobile terminal) and Bluetooth (HCI); not the issuer's ISO 8583.
      if (f.startsWith(bench.name) && /-(serial|hci)\.pcapng$/.test(f)) files.push(path.join(captureDir, f));
    }
  }
  return files;
}

export async function runCheckStep(
  kind: string,
  body: Record<string, unknown>,
  ctx: {
    bench: RunningBench;
    pos: ReadonlyMap<string, HeldPos>;
    transcriptLines: readonly Record<string, unknown>[];
    captureDir: string | undefined;
  },
): Promise<[boolean, string] | undefined> {
  if (!CHECK_STEP_KINDS.includes(kind)) return undefined;
  if (kind === 'expect-iso8583-capture') {
    const device = ctx.bench.devices.get(body['role'] as string);
    if (!(device instanceof CreditServiceDevice))
      return [false, `${String(body['role'])} is not an emu:credit role`];
    const file = device.state()['capture'] as string | undefined;
    if (!file) return [false, `${device.name} writes no capture (give the bench a capture folder)`];
    const base = [
      '-r',
      file,
      '-d',
      `tcp.port==${device.port}`.concat(',iso8583'),
      '-o',
      'iso8583.len_endian:bigendian',
    ];
    const bad = tshark([
      ...base,
      '-Y',
      '_ws.malformed || _ws.expert.severity == "error"',
      '-T',
      'fields',
      '-e',
      'frame.number',
    ])
      .split('\n')
      .filter(Boolean);
    if (bad.length)
      return [false, `tshark finds malformed ISO 8583 in frames ${bad.join(', ')} of ${path.basename(file)}`];
    const terminal = body['terminalId'] as string | undefined;
    // One line per frame: its MTIs and fields 41 (a frame may carry several messages).
    const mtis = tshark([
      ...base,
      '-Y',
      'iso8583',
      '-T',
      'fields',
      '-E',
      'separator=/t',
      '-e',
      'iso8583.mti',
      '-e',
      'iso8583.bit41',
    ])
      .split('\n')
      .flatMap((l) => {
        const [m = '', t = ''] = l.split('\t');
        const ms = m.split(',');
        const ts = t.split(',');
        return ms.map((x, i) => ({ mti: /\d{4}/.exec(x)?.[0], terminal: (ts[i] ?? '').trim() }));
      })
      .filter((m) => m.mti !== undefined && (terminal === undefined || m.terminal === terminal))
      .map((m) => m.mti!);
    const want = body['mti'] as string[];
    const whose = terminal === undefined ? '' : ` of terminal ${terminal}`;
    const missing = want.filter((m) => !mtis.includes(m));
    if (missing.length)
      return [
        false,
        `tshark finds no ${missing.join(', ')}${whose} in ${path.basename(file)} (it finds ${[...new Set(mtis)].join(', ') || 'none'})`,
      ];
    return [
      true,
      `tshark's iso8583 dissector reads ${mtis.length} message(s)${whose} in ${path.basename(file)}, ${want.join(' and ')} among them, none malformed`,
    ];
  }
  const pos = ctx.pos.get(body['driver'] as string);
  if (!pos) return [false, `${String(body['driver'])} is not a pos driver`];
  const numbers = loadGatewayFixtures()
    .users.map((u) => u.cardNumber)
    .filter((n): n is string => n !== undefined);
  const needles = numbers.flatMap(spellings);
  const found: string[] = [];
  const files = filesOf(ctx.bench, pos, ctx.captureDir);
  for (const f of files) {
    const bytes = readFileSync(f);
    for (const n of needles)
      if (bytes.includes(Buffer.from(n, 'latin1'))) found.push(`${path.basename(f)} holds ${n}`);
  }
  const lines = ctx.transcriptLines.map((l) => JSON.stringify(l));
  for (const n of needles) {
    const hit = lines.find((l) => l.includes(n));
    if (hit) found.push(`a transcript line holds ${n}: ${hit.slice(0, 120)}`);
  }
  if (found.length) return [false, found.join('; ')];
  return [
    true,
    `none of the ${numbers.length} users' card numbers in ${files.map((f) => path.basename(f)).join(', ')} or the ${lines.length} transcript lines`,
  ];
}
