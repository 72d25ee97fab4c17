/**
 * The gateway's tables from YAML (fixtures/seed001/): users (FIG. 7 with FIG. 25B's columns), issuers
 * (FIG. 9) and merchants (FIG. 10). Every mistake names the file, the path in it and what was expected.
 */
import path from 'node:path';
import { z } from 'zod';
import { PAYMENT_METHODS, type PaymentMethod } from '../../firmware-sim/payment/gateway-api.js';
import { projectRoot } from '../../devices/project-root.js';
import { readYamlFile, YamlFileError } from '../../devices/yaml-file.js';

export class GatewayFixtureError extends YamlFileError {
  constructor(file: string, at: string, expected: string, line?: number) {
    super(file, at, expected, line);
    this.name = 'GatewayFixtureError';
  }
}

export const SEED001_FIXTURES_DIR = path.join(projectRoot(), 'fixtures', 'seed001');

const digits = (min: number, max: number, what: string) =>
  z
    .string()
    .regex(new RegExp(`^\\d{${min},${max}}$`), `${what} of ${min} to ${max} digits (quote it in YAML)`);
const issuerCode = z.string().regex(/^[0-9a-z]{1,11}$/, 'an issuer code such as 2a11111');

const userSchema = z
  .object({
    userId: z.string().regex(/^[\x21-\x7e]{1,16}$/, 'a user id of 1 to 16 printable ASCII characters'),
    password: z.string().min(1).max(64),
    deviceId: z.string().regex(/^[\x21-\x7e]{1,16}$/, 'a device id of 1 to 16 printable ASCII characters'),
    cardNumber: z
      .string()
      .regex(/^\d[\d -]{10,24}\d$/, 'a card number of 12 to 19 digits, dashes or spaces allowed')
      .refine((s) => /^\d{12,19}$/.test(s.replace(/[ -]/g, '')), 'a card number of 12 to 19 digits')
      .optional(),
    expiry: z
      .string()
      .regex(/^\d{2}(0[1-9]|1[0-2])$/, 'an expiry YYMM (quote it in YAML)')
      .optional(),
    issuerCode: issuerCode.optional(),
    name: z.string().min(1).max(64),
    msisdn: z.string().regex(/^\+\d{6,15}$/, 'an E.164 number with +'),
    email: z.string().regex(/^[^@\s]+@[^@\s]+$/, 'an e-mail address'),
    authKey: z.string().regex(/^(?:[0-9A-Fa-f]{2}){16,64}$/, 'a key of 16 to 64 bytes in hex'),
  })
  .strict()
  .refine((u) => (u.cardNumber === undefined) === (u.expiry === undefined), {
    message: 'cardNumber and expiry together, or neither',
  });

const usersFileSchema = z.object({ users: z.array(userSchema).min(1) }).strict();

const rangeSchema = z
  .object({
    from: digits(1, 19, 'a card-number prefix'),
    to: digits(1, 19, 'a card-number prefix'),
    issuerCode,
    issuerName: z.string().min(1).max(40),
    addition: z.boolean().optional(),
  })
  .strict();

const issuersFileSchema = z.object({ ranges: z.array(rangeSchema).min(1) }).strict();

const merchantSchema = z
  .object({
    code: digits(1, 15, 'a merchant code'),
    name: z.string().min(1).max(40),
    accepts: z.array(
      z
        .object({
          issuerCode,
          issuerName: z.string().min(1).max(40),
          methods: z.array(z.enum(PAYMENT_METHODS)).min(1),
        })
        .strict(),
    ),
  })
  .strict();

const merchantsFileSchema = z.object({ merchants: z.array(merchantSchema).min(1) }).strict();

export type GatewayUser = z.output<typeof userSchema>;
export type IssuerRange = z.output<typeof rangeSchema>;
export type Merchant = z.output<typeof merchantSchema>;

export interface GatewayFixtures {
  users: GatewayUser[];
  issuers: IssuerRange[];
  merchants: Merchant[];
}

/** Card number without dashes or spaces. */
export const panDigits = (cardNumber: string): string => cardNumber.replace(/[ -]/g, '');

/** FIG. 9: the first range whose `from`-long leading digits lie between `from` and `to` (as digit strings). */
export function issuerOf(ranges: readonly IssuerRange[], cardNumber: string): IssuerRange | undefined {
  const pan = panDigits(cardNumber);
  return ranges.find((r) => {
    const lead = pan.slice(0, r.from.length);
    return lead.length === r.from.length && lead >= r.from && lead <= r.to;
  });
}

/** FIG. 10: the methods `merchant` allows for cards of `issuerCode`; undefined when it does not accept them. */
export function methodsFor(merchant: Merchant, issuerCode: string): PaymentMethod[] | undefined {
  return merchant.accepts.find((a) => a.issuerCode === issuerCode)?.methods;
}

function checkUnique<T>(
  items: readonly T[],
  key: (t: T) => string,
  file: string,
  list: string,
  field: string,
): void {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    const k = key(item);
    if (seen.has(k))
      throw new GatewayFixtureError(file, `${list}.${i}.${field}`, `a ${field} not used before ("${k}" is)`);
    seen.add(k);
  });
}

/** Reads users.yaml, issuers.yaml and merchants.yaml from `dir` and checks them against each other. */
export function loadGatewayFixtures(dir = SEED001_FIXTURES_DIR): GatewayFixtures {
  const opts = { errorClass: GatewayFixtureError };
  const usersFile = path.join(dir, 'users.yaml');
  const issuersFile = path.join(dir, 'issuers.yaml');
  const merchantsFile = path.join(dir, 'merchants.yaml');
  const { users } = readYamlFile(usersFile, usersFileSchema, 'user table', opts);
  const { ranges } = readYamlFile(issuersFile, issuersFileSchema, 'issuer table', opts);
  const { merchants } = readYamlFile(merchantsFile, merchantsFileSchema, 'merchant table', opts);
  checkUnique(users, (u) => u.userId, usersFile, 'users', 'userId');
  checkUnique(merchants, (m) => m.code, merchantsFile, 'merchants', 'code');
  ranges.forEach((r, i) => {
    if (r.to.length < r.from.length || r.to.slice(0, r.from.length) < r.from) {
      throw new GatewayFixtureError(issuersFile, `ranges.${i}.to`, `a prefix not below from "${r.from}"`);
    }
  });
  // FIG. 25B's issuer column must agree with FIG. 9's ranges, or embodiments 1 and 2 would disagree.
  users.forEach((u, i) => {
    if (u.cardNumber === undefined || u.issuerCode === undefined) return;
    const found = issuerOf(ranges, u.cardNumber);
    if (found && found.issuerCode !== u.issuerCode) {
      throw new GatewayFixtureError(
        usersFile,
        `users.${i}.issuerCode`,
        `the issuer ${issuersFile} gives card ${u.cardNumber} (${found.issuerCode})`,
      );
    }
  });
  return { users, issuers: ranges, merchants };
}
