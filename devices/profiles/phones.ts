/**
 * Phone profiles: YAML files in fixtures/phones/, validated with zod. Like card profiles, every error
 * names the file, the path inside it (and its line) and what was expected.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { isValidImei } from '../../firmware-sim/phone/imei.js';
import type { PhoneProfile } from '../../firmware-sim/phone/profile.js';
import { projectRoot } from '../project-root.js';
import { parseYamlFile, readYamlFile, YamlFileError } from '../yaml-file.js';

export type { PhoneProfile } from '../../firmware-sim/phone/profile.js';

/** The folder of the phone fixtures shipped with the kit. */
export const PHONE_FIXTURES_DIR = path.join(projectRoot(), 'fixtures', 'phones');

/** Printable ASCII: identity strings go on the AT line as they are. */
const text = (max: number, what: string) =>
  z
    .string()
    .regex(new RegExp(`^[\\x20-\\x7e]{1,${max}}$`), `${what} of 1 to ${max} printable ASCII characters`);
const int = (min: number, max: number) => z.number().int().min(min).max(max);

const NetworkSchema = z
  .object({
    numeric: z.string().regex(/^\d{5,6}$/, 'MCC and MNC: 5 or 6 digits (quote it in YAML)'),
    long: text(16, 'a long operator name'),
    short: text(8, 'a short operator name'),
    act: z.enum(['gsm', 'utran', 'e-utran']),
    lac: int(0, 0xffff),
    ci: int(0, 0xfffffff),
    forbidden: z.boolean().optional(),
  })
  .strict();

export const PhoneProfileSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'a name of lower-case letters, digits and "-"'),
    description: z.string().optional(),
    manufacturer: text(64, 'a manufacturer'),
    model: text(64, 'a model'),
    revision: text(64, 'a revision'),
    imei: z.string().refine(isValidImei, '15 digits whose last is the Luhn check digit (quote it in YAML)'),
    svn: z.string().regex(/^\d{2}$/, 'a software version number of 2 digits (quote it in YAML)'),
    card: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]*$/, 'the name of a card fixture')
      .optional(),
    radio: z
      .object({
        rssi: z
          .number()
          .int()
          .refine((v) => (v >= 0 && v <= 31) || v === 99, 'an RSSI of 0 to 31, or 99'),
        ber: z
          .number()
          .int()
          .refine((v) => (v >= 0 && v <= 7) || v === 99, 'a bit error rate of 0 to 7, or 99'),
        registrationDelayMs: int(0, 600_000).default(0),
        networks: z.array(NetworkSchema).max(16),
      })
      .strict(),
    battery: z
      .object({
        status: z
          .number()
          .int()
          .refine((v) => v >= 0 && v <= 3, 'a battery status of 0, 1, 2 or 3')
          .transform((v) => v as 0 | 1 | 2 | 3),
        level: int(0, 100),
      })
      .strict(),
  })
  .strict()
  .superRefine((p, ctx) => {
    const seen = new Set<string>();
    p.radio.networks.forEach((n, i) => {
      if (seen.has(n.numeric)) {
        ctx.addIssue({
          code: 'custom',
          path: ['radio', 'networks', i, 'numeric'],
          message: 'a network listed once',
        });
      }
      seen.add(n.numeric);
      if (n.act === 'gsm' && n.ci > 0xffff) {
        ctx.addIssue({
          code: 'custom',
          path: ['radio', 'networks', i, 'ci'],
          message: 'a GSM cell id ≤ 0xFFFF',
        });
      }
    });
  });

export class PhoneProfileError extends YamlFileError {
  override name = 'PhoneProfileError';
}

/** Parses phone-profile YAML text; `file` names it in errors. */
export function parsePhoneProfile(text: string, file: string): PhoneProfile {
  return parseYamlFile(text, file, PhoneProfileSchema, {
    errorClass: PhoneProfileError,
  }) as PhoneProfile;
}

export function loadPhoneProfile(file: string): PhoneProfile {
  return readYamlFile(file, PhoneProfileSchema, 'phone profile', {
    errorClass: PhoneProfileError,
  }) as PhoneProfile;
}

/** Every profile in fixtures/phones, by name. */
export function loadPhoneFixtures(dir = PHONE_FIXTURES_DIR): Record<string, PhoneProfile> {
  const out: Record<string, PhoneProfile> = {};
  for (const f of readdirSync(dir)
    .filter((n) => /\.ya?ml$/.test(n))
    .sort()) {
    const p = loadPhoneProfile(path.join(dir, f));
    out[p.name] = p;
  }
  return out;
}
