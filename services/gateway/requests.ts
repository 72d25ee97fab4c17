/**
 * zod schemas of the request bodies of `firmware-sim/payment/gateway-api.ts`, with the bounds the gateway
 * enforces (amounts as safe integers, bounded lists and strings) and the currencies it can put into ISO 8583.
 */
import { z } from 'zod';
import { PAYMENT_METHODS } from '../../firmware-sim/payment/gateway-api.js';

/** ISO 4217 alphabetic → numeric (field 49) for the currencies the bench uses. */
export const CURRENCY_NUMERIC: Readonly<Record<string, string>> = {
  JPY: '392',
  USD: '840',
  EUR: '978',
  GBP: '826',
};

const minor = z.number().int().min(0).max(999_999_999_999);

export const lineItemSchema = z.object({
  goods: z.string().min(1).max(100),
  quantity: z.number().int().min(1).max(1_000_000),
  unitPrice: minor,
  tax: minor,
});

/** TransactionNumberRequest and CardlessCreditRequest have the same shape. */
export const saleRequestSchema = z.object({
  merchantCode: z.string().regex(/^\d{1,15}$/, 'a merchant code of 1 to 15 digits'),
  terminalId: z.string().regex(/^[\x20-\x7e]{1,16}$/, 'a terminal id of 1 to 16 printable characters'),
  userId: z.string().regex(/^[\x21-\x7e]{1,16}$/, 'a user id of 1 to 16 printable characters'),
  items: z.array(lineItemSchema).min(1).max(100),
  currency: z
    .string()
    .refine((c) => c in CURRENCY_NUMERIC, `one of ${Object.keys(CURRENCY_NUMERIC).join(', ')}`),
  total: minor,
});

export type SaleRequest = z.infer<typeof saleRequestSchema>;

export const phoneAuthenticationSchema = z.object({
  userId: z.string().min(1).max(16),
  deviceId: z.string().min(1).max(16),
  authResult: z.string().regex(/^[0-9A-Fa-f]{140}$/, 'EF_PAY_AUTH: 70 bytes in hex'),
});

export const agreementSchema = z.object({ agree: z.boolean() });

export const methodChoiceSchema = z
  .object({ method: z.enum(PAYMENT_METHODS), installments: z.number().int().min(2).max(99).optional() })
  .refine((m) => (m.method === 'I') === (m.installments !== undefined), {
    message: 'installments with method I, and only with it',
  });

export const confirmationReplySchema = z.object({ password: z.string().min(1).max(64) });

export const creditResultSchema = z.object({
  approved: z.boolean(),
  responseCode: z.string().regex(/^[0-9A-Z]{2}$/, 'an ISO 8583 response code'),
  approvalCode: z
    .string()
    .regex(/^[\x20-\x7e]{1,6}$/)
    .optional(),
});

/** An `Idempotency-Key` header: 1 to 100 visible characters. */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,100}$/;
