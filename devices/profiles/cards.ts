/**
 * UIM/SIM card profiles: YAML files in fixtures/cards/, validated with zod. Like bench files, every error
 * names the file, the path inside it (and its line) and what was expected.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { encodeGsm7Unpacked } from '../../firmware-sim/uim/codecs.js';
import { projectRoot } from '../project-root.js';
import { parseYamlFile, readYamlFile, YamlFileError } from '../yaml-file.js';
import type { CardProfile } from '../../firmware-sim/uim/profile.js';

export type { CardProfile } from '../../firmware-sim/uim/profile.js';

/** The folder of the card fixtures shipped with the kit. */
export const CARD_FIXTURES_DIR = path.join(projectRoot(), 'fixtures', 'cards');

const digits = (min: number, max: number, what: string) =>
  z
    .string()
    .regex(new RegExp(`^\\d{${min},${max}}$`), `${what} of ${min} to ${max} digits (quote it in YAML)`);
const hex = (what: string) => z.string().regex(/^(?:[0-9A-Fa-f]{2})+$/, `${what} as hex bytes`);
const dialling = z
  .string()
  .regex(/^\+?[0-9*#p?]{1,20}$/, 'a dialling number: optional +, up to 20 of 0-9 * # p ?');
const gsmText = (max: number) =>
  z.string().refine((s) => {
    const gsm = encodeGsm7Unpacked(s);
    return gsm ? gsm.length <= max : 1 + 2 * s.length <= max;
  }, `a text that fits in ${max} bytes (GSM alphabet, or UCS2 at 2 bytes a character)`);

const entry = z.object({ name: gsmText(14), number: dialling }).strict();

/** Checks an ATR's structure (ISO 7816-3 §8): TS, T0, interface bytes, historical bytes and TCK. */
export function atrProblem(atr: Uint8Array): string | undefined {
  if (atr.length < 2 || atr.length > 33) return 'an ATR of 2 to 33 bytes';
  if (atr[0] !== 0x3b && atr[0] !== 0x3f) return 'TS 3B (direct) or 3F (inverse)';
  const k = atr[1]! & 0x0f;
  let y = atr[1]! >> 4;
  let i = 2;
  // TCK is present when any TDi indicates a protocol other than T=0.
  let needsTck = false;
  for (;;) {
    const count = [1, 2, 4, 8].filter((bit) => y & bit).length;
    const td = y & 0x08 ? atr[i + count - 1] : undefined;
    i += count;
    if (i > atr.length) return 'the interface bytes that T0/TDi announce';
    if (td === undefined) break;
    if ((td & 0x0f) !== 0) needsTck = true;
    y = td >> 4;
  }
  const expected = i + k + (needsTck ? 1 : 0);
  if (atr.length !== expected) {
    return `${expected} bytes (interface bytes, ${k} historical bytes${needsTck ? ', TCK' : ''})`;
  }
  if (needsTck && atr.subarray(1).reduce((x, b) => x ^ b, 0) !== 0)
    return 'a TCK that makes T0 ⊕ … ⊕ TCK zero';
  return undefined;
}

export const CardProfileSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'a name of lower-case letters, digits and "-"'),
    description: z.string().optional(),
    commandClass: z.enum(['gsm', 'uicc']),
    gsmCompatible: z.boolean().optional(),
    atr: hex('the ATR').refine((h) => !atrProblem(Buffer.from(h, 'hex')), 'a well-formed ATR (ISO 7816-3)'),
    iccid: digits(18, 20, 'an ICCID'),
    imsi: digits(6, 15, 'an IMSI'),
    mncLength: z.union([z.literal(2), z.literal(3)]),
    msisdn: entry.optional(),
    spn: z
      .object({ name: gsmText(16), displayCondition: z.number().int().min(0).max(255).optional() })
      .strict(),
    smsc: dialling.optional(),
    pin1: digits(4, 8, 'a PIN'),
    puk1: digits(8, 8, 'a PUK'),
    pin2: digits(4, 8, 'a PIN2'),
    puk2: digits(8, 8, 'a PUK2'),
    adm: digits(8, 8, 'an ADM code').optional(),
    pin1Enabled: z.boolean().optional(),
    usimAid: hex('the USIM AID')
      .refine((h) => h.length >= 10 && h.length <= 32, 'an AID of 5 to 16 bytes')
      .optional(),
    phonebook: z.array(entry).optional(),
    adnRecords: z.number().int().min(1).max(254).optional(),
    smsRecords: z.number().int().min(1).max(254).optional(),
    payment: z
      .object({
        deviceId: z
          .string()
          .regex(/^[\x20-\x7e]{1,16}$/, 'a device id of 1 to 16 printable ASCII characters'),
        gatewayUrl: z
          .url({ protocol: /^https?$/ })
          .refine((u) => Buffer.byteLength(u) <= 125, 'a URL ≤ 125 bytes'),
        users: z
          .array(
            z
              .object({
                userId: z
                  .string()
                  .regex(/^[\x20-\x7e]{1,16}$/, 'a user id of 1 to 16 printable ASCII characters'),
                password: z.string().min(4).max(64),
                label: gsmText(16),
              })
              .strict(),
          )
          .min(1)
          .max(254),
        passwordTries: z.number().int().min(1).max(15).optional(),
        pbkdf2Iterations: z.number().int().min(1000).max(1_000_000).optional(),
        authKey: hex('the gateway auth key')
          .refine((h) => h.length === 64, '32 bytes')
          .optional(),
      })
      .strict()
      .optional(),
    certificate: z
      .object({
        password: digits(4, 8, 'a certificate password'),
        unblock: digits(8, 8, 'an unblocking code').optional(),
        tries: z.number().int().min(1).max(15).optional(),
        keys: z
          .array(
            z
              .object({
                ref: z.union([z.literal(1), z.literal(2)]),
                algorithm: z.enum(['ec-p256', 'rsa-2048']),
              })
              .strict(),
          )
          .optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.commandClass === 'gsm' && p.gsmCompatible !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['gsmCompatible'], message: 'no gsmCompatible on a gsm card' });
    }
    if (p.commandClass === 'gsm' && p.usimAid !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['usimAid'], message: 'no usimAid on a gsm card' });
    }
    if ((p.phonebook?.length ?? 0) > (p.adnRecords ?? 20)) {
      ctx.addIssue({ code: 'custom', path: ['phonebook'], message: 'no more entries than adnRecords (20)' });
    }
    const ids = p.payment?.users.map((u) => u.userId) ?? [];
    ids.forEach((id, i) => {
      if (ids.indexOf(id) !== i) {
        ctx.addIssue({
          code: 'custom',
          path: ['payment', 'users', i, 'userId'],
          message: 'a user id used once',
        });
      }
    });
  });

export class CardProfileError extends YamlFileError {
  override name = 'CardProfileError';
}

/** Parses card-profile YAML text; `file` names it in errors. */
export function parseCardProfile(text: string, file: string): CardProfile {
  return parseYamlFile(text, file, CardProfileSchema, { errorClass: CardProfileError }) as CardProfile;
}

export function loadCardProfile(file: string): CardProfile {
  return readYamlFile(file, CardProfileSchema, 'card profile', {
    errorClass: CardProfileError,
  }) as CardProfile;
}

/** Every profile in fixtures/cards, by name. */
export function loadCardFixtures(dir = CARD_FIXTURES_DIR): Record<string, CardProfile> {
  const out: Record<string, CardProfile> = {};
  for (const f of readdirSync(dir)
    .filter((n) => /\.ya?ml$/.test(n))
    .sort()) {
    const p = loadCardProfile(path.join(dir, f));
    out[p.name] = p;
  }
  return out;
}
