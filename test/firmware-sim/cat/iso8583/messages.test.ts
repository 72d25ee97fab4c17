import { describe, expect, it } from 'vitest';
import type { AuthorizationRequest } from '../../../../firmware-sim/cat/credit-host.js';
import {
  buildAuthorizationRequest,
  buildAuthorizationResponse,
  buildKeyDelivery,
  buildNetworkManagementRequest,
  buildNetworkManagementResponse,
  buildReversalRequest,
  decodeMessage,
  decodePrivateData,
  encodeMessage,
  encodePrivateData,
  readAuthorizationRequest,
  readKeyDelivery,
  readNetworkManagementRequest,
  readResponse,
  readReversalRequest,
  type Iso8583Message,
} from '../../../../firmware-sim/cat/iso8583/index.js';

const AT = new Date(Date.UTC(2026, 6, 3, 10, 20, 5));
const REQUEST: AuthorizationRequest = {
  pan: '1234223432344234',
  expiry: '3012',
  amountMinor: 12_500,
  currencyNumeric: '392',
  stan: 42,
  terminalId: 'GW01',
  merchantId: '1111111111',
  paymentMethod: 'I',
  installments: 3,
  transactionNumber: '100001',
  at: AT,
};

/** Through the wire and back, so readers see what a peer would. */
const wire = (m: Iso8583Message): Iso8583Message => {
  const r = decodeMessage(encodeMessage(m));
  if (!r.ok) throw new Error(r.error.reason);
  return r.message;
};

describe('ISO 8583 messages', () => {
  it('0100 carries the seed-001 request: fields 2, 3, 4, 7, 11–14, 22, 41, 42, 48, 49', () => {
    const m = buildAuthorizationRequest(REQUEST);
    expect(m.mti).toBe('0100');
    expect(m.fields).toEqual({
      2: '1234223432344234',
      3: '000000',
      4: '000000012500',
      7: '0703102005',
      11: '000042',
      12: '102005',
      13: '0703',
      14: '3012',
      22: '010',
      41: 'GW01    ',
      42: '1111111111     ',
      48: 'PM001IIN00203TN006100001',
      49: '392',
    });
    expect(readAuthorizationRequest(wire(m))).toEqual({
      ok: true,
      value: {
        mti: '0100',
        financial: false,
        repeat: false,
        pan: '1234223432344234',
        processingCode: '000000',
        amountMinor: 12_500,
        transmittedAt: '0703102005',
        stan: 42,
        expiry: '3012',
        terminalId: 'GW01',
        merchantId: '1111111111',
        currencyNumeric: '392',
        paymentMethod: 'I',
        installments: 3,
        transactionNumber: '100001',
      },
    });
  });

  it('0101 is the repeat and 0200/0201 the financial forms of the same request', () => {
    expect(buildAuthorizationRequest(REQUEST, { repeat: true }).mti).toBe('0101');
    expect(buildAuthorizationRequest(REQUEST, { financial: true }).mti).toBe('0200');
    expect(buildAuthorizationRequest(REQUEST, { financial: true, repeat: true }).mti).toBe('0201');
  });

  it('0110 echoes 3, 4, 7, 11, 41, 42, 49 and adds 37, 38, 39', () => {
    const req = buildAuthorizationRequest(REQUEST, { repeat: true });
    const res = wire(
      buildAuthorizationResponse(req, { responseCode: '00', approvalCode: 'A1B2C3', rrn: '618410000001' }),
    );
    expect(res.mti).toBe('0110');
    expect(Object.keys(res.fields).map(Number)).toEqual([3, 4, 7, 11, 37, 38, 39, 41, 42, 49]);
    expect(readResponse(res)).toEqual({
      ok: true,
      value: {
        mti: '0110',
        stan: 42,
        terminalId: 'GW01',
        responseCode: '00',
        approved: true,
        approvalCode: 'A1B2C3',
        rrn: '618410000001',
      },
    });
  });

  it('0400 names its original in field 90: MTI, STAN, transmission time, two empty institution codes', () => {
    const m = buildReversalRequest({ original: REQUEST, stan: 43, at: new Date(AT.getTime() + 60_000) });
    expect(m.mti).toBe('0400');
    expect(m.fields[11]).toBe('000043');
    expect(m.fields[90]).toBe('0100' + '000042' + '0703102005' + '0'.repeat(22));
    const r = readReversalRequest(wire(m));
    expect(r).toMatchObject({
      ok: true,
      value: { stan: 43, original: { mti: '0100', stan: 42, transmittedAt: '0703102005' } },
    });
    expect(buildAuthorizationResponse(m, { responseCode: '00' }).mti).toBe('0410');
    expect(buildReversalRequest({ original: REQUEST, stan: 43, at: AT }, { repeat: true }).mti).toBe('0401');
  });

  it('0800 sign-on, echo and key delivery (70 = 161, field 48 EP, KY, TN) and their 0810', () => {
    const signOn = buildNetworkManagementRequest({ code: '001', stan: 1, at: AT, terminalId: 'GW01' });
    expect(readNetworkManagementRequest(wire(signOn))).toEqual({
      ok: true,
      value: { code: '001', stan: 1, terminalId: 'GW01', transmittedAt: '0703102005', privateData: {} },
    });
    const key = 'ab'.repeat(32);
    const kd = wire(
      buildKeyDelivery(
        { encryptedPan: '9876543210987654', key, transactionNumber: 'T-9', stan: 2, at: AT },
        'GW01',
      ),
    );
    expect(kd.fields[70]).toBe('161');
    const nm = readNetworkManagementRequest(kd);
    if (!nm.ok) throw new Error(nm.reason);
    expect(readKeyDelivery(nm.value.privateData)).toEqual({
      ok: true,
      value: { encryptedPan: '9876543210987654', key, transactionNumber: 'T-9' },
    });
    const res = wire(buildNetworkManagementResponse(kd, '00'));
    expect(res.mti).toBe('0810');
    expect(res.fields).toEqual({ 7: '0703102005', 11: '000002', 39: '00', 41: 'GW01    ', 70: '161' });
  });

  it('readers name the first missing or wrong field', () => {
    const m = buildAuthorizationRequest(REQUEST);
    const without = (n: number): Iso8583Message => {
      const fields: Record<number, string | undefined> = { ...m.fields };
      delete fields[n];
      return { mti: m.mti, fields };
    };
    expect(readAuthorizationRequest(without(2))).toMatchObject({ ok: false, field: 2 });
    expect(readAuthorizationRequest(without(48))).toMatchObject({ ok: false, field: 48 });
    expect(readAuthorizationRequest({ mti: '0100', fields: { ...m.fields, 48: 'PM001X' } })).toMatchObject({
      ok: false,
      field: 48,
      reason: expect.stringContaining('PM'),
    });
    expect(readAuthorizationRequest({ mti: '0100', fields: { ...m.fields, 14: '3013' } })).toMatchObject({
      ok: false,
      field: 14,
    });
    expect(readReversalRequest(m)).toMatchObject({ ok: false, field: 90 });
    expect(readKeyDelivery({ EP: '1234', KY: 'ab', TN: 'x' })).toMatchObject({ ok: false, field: 48 });
    expect(readResponse({ mti: '0110', fields: { 11: '000001', 41: 'GW01    ' } })).toMatchObject({
      ok: false,
      field: 39,
    });
  });

  it('builders refuse values a field cannot hold', () => {
    expect(() => buildAuthorizationRequest({ ...REQUEST, stan: 0 })).toThrow(/field 11/);
    expect(() => buildAuthorizationRequest({ ...REQUEST, terminalId: 'TOO-LONG-1' })).toThrow(/field 41/);
    expect(() => buildAuthorizationRequest({ ...REQUEST, amountMinor: -1 })).toThrow(/field 4/);
  });
});

describe('field 48 sub-format (docs/ISO8583.md)', () => {
  it('tag, three-digit length, value; in tag order', () => {
    expect(encodePrivateData({ TN: '100001', PM: 'pB' })).toBe('PM002pBTN006100001');
    expect(decodePrivateData('PM002pBTN006100001')).toEqual({ ok: true, value: { PM: 'pB', TN: '100001' } });
  });

  it('unknown, repeated, short elements are errors', () => {
    expect(decodePrivateData('XX001A')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('unknown tag'),
    });
    expect(decodePrivateData('PM001LPM001L')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('repeated'),
    });
    expect(decodePrivateData('PM005L')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('cut short'),
    });
    expect(decodePrivateData('PM0')).toMatchObject({ ok: false });
    expect(decodePrivateData('PMabcL')).toMatchObject({ ok: false });
  });
});
