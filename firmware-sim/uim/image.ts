/**
 * The card's EEPROM image: its non-volatile state (state.ts) as bytes, versioned and integrity-checked.
 *
 *   offset 0   8 bytes   magic "BTUIMIMG"
 *   offset 8   2 bytes   format version, big-endian (1)
 *   offset 10  4 bytes   body length n, big-endian
 *   offset 14  n bytes   body: UTF-8 JSON of the state, byte strings as upper-case hex
 *   offset 14+n 32 bytes SHA-256 over bytes 0 … 14+n−1
 *
 * A decoder refuses — with the reason — an image that is truncated, has trailing bytes, another magic or
 * version, a wrong digest, or a body that does not describe a consistent card: a damaged image is never
 * loaded half-way.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { DecodeResult } from './codecs.js';
import type { CardState } from './state.js';

export const IMAGE_MAGIC = 'BTUIMIMG';
export const IMAGE_VERSION = 1;
const HEADER = 14;
const DIGEST = 32;

const hexBytes = z
  .string()
  .regex(/^(?:[0-9A-F]{2})*$/, 'an even number of upper-case hex digits')
  .transform((s) => Uint8Array.from(Buffer.from(s, 'hex')));
const access = z.enum(['ALW', 'CHV1', 'CHV2', 'ADM', 'NEV']);
const byte = z.number().int().min(0).max(255);
const fid = z.number().int().min(0).max(0xffff);
const retry = z
  .object({
    value: hexBytes,
    max: z.number().int().min(1).max(15),
    remaining: z.number().int().min(0).max(15),
  })
  .strict()
  .refine((r) => r.remaining <= r.max, 'remaining attempts ≤ max')
  .refine((r) => r.value.length === 8, 'an 8-byte code block');

const fileSchema = z
  .object({
    path: z.array(fid).min(1).max(8),
    type: z.enum(['mf', 'df', 'adf', 'ef']),
    name: z.string(),
    aid: hexBytes.optional(),
    structure: z.enum(['transparent', 'linear-fixed', 'cyclic']).optional(),
    recordLength: z.number().int().min(0).max(255).optional(),
    recordCount: z.number().int().min(0).max(254).optional(),
    sfi: z.number().int().min(1).max(30).optional(),
    access: z.object({ read: access, update: access, increase: access }).strict().optional(),
    data: hexBytes.optional(),
  })
  .strict()
  .superRefine((f, ctx) => {
    if (f.type !== 'ef') return;
    if (!f.structure || !f.access || !f.data) {
      ctx.addIssue({ code: 'custom', message: 'an EF with structure, access and data' });
      return;
    }
    if (f.structure !== 'transparent') {
      const len = f.recordLength ?? 0;
      const count = f.recordCount ?? 0;
      if (len < 1 || count < 1 || f.data.length !== len * count) {
        ctx.addIssue({ code: 'custom', message: 'record length × record count = data length' });
      }
    }
  });

const stateSchema = z
  .object({
    profile: z.string(),
    commandClass: z.enum(['gsm', 'uicc']),
    gsmCompatible: z.boolean(),
    atr: hexBytes.refine((a) => a.length >= 2 && a.length <= 33, 'an ATR of 2 to 33 bytes'),
    files: z.array(fileSchema).min(1),
    codes: z.array(
      z
        .object({ ref: byte, name: z.string(), code: retry, enabled: z.boolean(), unblock: retry.optional() })
        .strict(),
    ),
    keys: z.array(
      z
        .object({
          ref: byte,
          algorithm: z.enum(['ec-p256', 'rsa-2048']),
          privateKey: hexBytes,
          publicKey: hexBytes,
        })
        .strict(),
    ),
    payment: z
      .object({
        remaining: z.number().int().min(0).max(15),
        max: z.number().int().min(1).max(15),
        sequence: z.number().int().min(0).max(0xffffffff),
        authKey: hexBytes.optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    const seen = new Set<string>();
    s.files.forEach((f, i) => {
      const key = f.path.join('/');
      if (seen.has(key))
        ctx.addIssue({ code: 'custom', path: ['files', i, 'path'], message: 'a unique path' });
      seen.add(key);
      if (i === 0 && (f.type !== 'mf' || f.path.length !== 1 || f.path[0] !== 0x3f00)) {
        ctx.addIssue({ code: 'custom', path: ['files', 0], message: 'the MF 3F00 first' });
      }
      if (f.path.length > 1 && !seen.has(f.path.slice(0, -1).join('/'))) {
        ctx.addIssue({
          code: 'custom',
          path: ['files', i, 'path'],
          message: 'a parent listed before its child',
        });
      }
    });
  });

const toHex = (_key: string, value: unknown): unknown =>
  value instanceof Uint8Array ? Buffer.from(value).toString('hex').toUpperCase() : value;

/** Serialises a card state into an image. */
export function encodeCardImage(state: CardState): Uint8Array {
  const body = Buffer.from(JSON.stringify(state, toHex), 'utf8');
  const out = Buffer.alloc(HEADER + body.length + DIGEST);
  out.write(IMAGE_MAGIC, 0, 'latin1');
  out.writeUInt16BE(IMAGE_VERSION, 8);
  out.writeUInt32BE(body.length, 10);
  body.copy(out, HEADER);
  createHash('sha256')
    .update(out.subarray(0, HEADER + body.length))
    .digest()
    .copy(out, HEADER + body.length);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/** Reads an image back; every kind of damage is refused with what is wrong. */
export function decodeCardImage(bytes: Uint8Array): DecodeResult<CardState> {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (buf.length < HEADER + DIGEST) {
    return { ok: false, error: `truncated: ${buf.length} bytes, an image has at least ${HEADER + DIGEST}` };
  }
  if (buf.toString('latin1', 0, 8) !== IMAGE_MAGIC) {
    return {
      ok: false,
      error: `not a card image (magic "${buf.toString('latin1', 0, 8)}", expected "${IMAGE_MAGIC}")`,
    };
  }
  const version = buf.readUInt16BE(8);
  if (version !== IMAGE_VERSION) {
    return {
      ok: false,
      error: `image format version ${version} is not supported (this build reads ${IMAGE_VERSION})`,
    };
  }
  const n = buf.readUInt32BE(10);
  if (buf.length < HEADER + n + DIGEST) {
    return {
      ok: false,
      error: `truncated: the header announces ${HEADER + n + DIGEST} bytes, the image has ${buf.length}`,
    };
  }
  if (buf.length > HEADER + n + DIGEST) {
    return { ok: false, error: `${buf.length - (HEADER + n + DIGEST)} unexpected bytes after the digest` };
  }
  const digest = createHash('sha256')
    .update(buf.subarray(0, HEADER + n))
    .digest();
  if (!digest.equals(buf.subarray(HEADER + n))) {
    return { ok: false, error: 'corrupt: the SHA-256 digest does not match the content' };
  }
  let json: unknown;
  try {
    json = JSON.parse(buf.toString('utf8', HEADER, HEADER + n));
  } catch (err) {
    return { ok: false, error: `body is not JSON (${(err as Error).message})` };
  }
  const parsed = stateSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return {
      ok: false,
      error: `body at ${issue.path.join('.') || '(top level)'}: expected ${issue.message}`,
    };
  }
  return { ok: true, value: parsed.data as CardState };
}

/** A deep copy of a state (through its image). */
export function cloneCardState(state: CardState): CardState {
  const r = decodeCardImage(encodeCardImage(state));
  if (!r.ok) throw new Error(`card state does not survive its own image: ${r.error}`);
  return r.value;
}
