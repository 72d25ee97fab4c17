/**
 * The issuer's cardholder table (seed 001, FIG. 24B) from YAML: card number, name, address, expiry YYMM,
 * credit limit in minor units, and the issuer code of the credit server holding the card.
 */
import { z } from 'zod';
import { readYamlFile, YamlFileError } from '../../devices/yaml-file.js';

export class CardholdersFileError extends YamlFileError {
  override name = 'CardholdersFileError';
}

const yymm = z.string().regex(/^[0-9]{2}(0[1-9]|1[0-2])$/, 'YYMM');

export const CardholderSchema = z.strictObject({
  pan: z.string().regex(/^[0-9]{12,19}$/, 'a card number of 12 to 19 digits'),
  name: z.string().min(1),
  address: z.string().optional(),
  expiry: yymm,
  creditLimit: z.number().int().nonnegative(),
  issuer: z.string().min(1).optional(),
});
export type Cardholder = z.infer<typeof CardholderSchema>;

export const CardholdersFileSchema = z.strictObject({ cardholders: z.array(CardholderSchema) });

/** Reads a cardholders file; with `issuerCode`, keeps the cards of that issuer (and those naming none). */
export function loadCardholders(file: string, issuerCode?: string): Cardholder[] {
  const { cardholders } = readYamlFile(file, CardholdersFileSchema, 'cardholders file', {
    errorClass: CardholdersFileError,
    describe: (issue) =>
      issue.code === 'invalid_format' && 'pattern' in issue ? (issue.message ?? undefined) : undefined,
  });
  const seen = new Set<string>();
  cardholders.forEach((c, i) => {
    if (seen.has(c.pan))
      throw new CardholdersFileError(file, `cardholders.${i}.pan`, 'a card number not listed before');
    seen.add(c.pan);
  });
  return issuerCode === undefined
    ? cardholders
    : cardholders.filter((c) => c.issuer === undefined || c.issuer === issuerCode);
}
