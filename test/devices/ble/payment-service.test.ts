import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AttError,
  PAYMENT_CHARACTERISTICS,
  PAYMENT_SERVICE_UUID,
  decodeConfirmation,
  decodeTransactionNotification,
  decodeUserId,
  encodeConfirmation,
  encodeTransactionNotification,
  encodeUserId,
} from '../../../devices/ble/payment-service.js';
import { mulberry32 } from '../../../devices/serial/faults.js';

const txnId = fc.stringMatching(/^[\x21-\x7e]{1,32}$/);

describe('phone payment GATT service (data)', () => {
  it('uses distinct 128-bit version-4 UUIDs, and every characteristic with payment data requires pairing', () => {
    const uuids = [PAYMENT_SERVICE_UUID, ...PAYMENT_CHARACTERISTICS.map((c) => c.uuid)];
    for (const u of uuids) expect(u).toMatch(/^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$/);
    expect(new Set(uuids).size).toBe(uuids.length);
    for (const c of PAYMENT_CHARACTERISTICS) expect(c.secure).toEqual(c.properties);
  });

  it('user id "00001" of the seed user table travels as its 5 ASCII digits', () => {
    expect(encodeUserId('00001')).toEqual(Buffer.from('3030303031', 'hex'));
    expect(decodeUserId(Buffer.from('00001'))).toEqual({ ok: true, value: '00001' });
  });

  it('values round-trip', () => {
    fc.assert(
      fc.property(
        fc.record({
          transactionId: txnId,
          amountMinor: fc.integer({ min: 0, max: 0xffffffff }),
          currency: fc.stringMatching(/^[A-Z]{3}$/),
        }),
        (t) => {
          expect(decodeTransactionNotification(encodeTransactionNotification(t))).toEqual({
            ok: true,
            value: t,
          });
        },
      ),
    );
    fc.assert(
      fc.property(
        fc.record({
          result: fc.constantFrom('Agreed' as const, 'Declined' as const, 'Aborted' as const),
          transactionId: txnId,
        }),
        (c) => {
          expect(decodeConfirmation(encodeConfirmation(c))).toEqual({ ok: true, value: c });
        },
      ),
    );
  });

  it('bad values get Invalid Attribute Value Length (0x0D) or the profile error 0x80 (Vol 3 Part F 3.4.1.1)', () => {
    expect(decodeUserId(Buffer.alloc(0))).toMatchObject({
      ok: false,
      attError: AttError.InvalidAttributeValueLength,
    });
    expect(decodeUserId(Buffer.from('00 01'))).toMatchObject({
      ok: false,
      attError: AttError.ValueNotAllowed,
    });
    const t = encodeTransactionNotification({ transactionId: 'T1', amountMinor: 1200, currency: 'JPY' });
    expect(decodeTransactionNotification(t.subarray(0, 10))).toMatchObject({
      ok: false,
      attError: AttError.InvalidAttributeValueLength,
    });
    expect(decodeConfirmation(Buffer.from([7, 1, 0x41]))).toMatchObject({
      ok: false,
      attError: AttError.ValueNotAllowed,
    });
  });

  it('fuzz: 20000 random and mutated values never throw and are either decoded or answered with an ATT error', () => {
    const rand = mulberry32(0x9a7);
    const seeds = [
      encodeUserId('00002'),
      encodeTransactionNotification({ transactionId: 'TXN-000123', amountMinor: 5400, currency: 'JPY' }),
      encodeConfirmation({ result: 'Agreed', transactionId: 'TXN-000123' }),
    ];
    for (let i = 0; i < 20000; i++) {
      const v = Buffer.from(seeds[i % 3]!);
      if (v.length > 0) v[Math.floor(rand() * v.length)] = Math.floor(rand() * 256);
      const cut = rand() < 0.3 ? v.subarray(0, Math.floor(rand() * v.length)) : v;
      for (const decode of [decodeUserId, decodeTransactionNotification, decodeConfirmation]) {
        const d = decode(cut);
        if (!d.ok)
          expect([AttError.InvalidAttributeValueLength, AttError.ValueNotAllowed]).toContain(d.attError);
      }
    }
  });
});
