/**
 * Typed builders and readers for the messages of the credit link (docs/ISO8583.md): 0800/0810 network
 * management (sign-on, echo, key delivery), 0100/0101/0110 authorization, 0200/0201/0210 financial
 * transaction, 0400/0401/0410 reversal. Builders take the business objects of `credit-host.ts`; readers
 * check that a decoded message carries what its type needs and name the first field that does not.
 */
import type {
  AuthorizationRequest,
  AuthorizationResponse,
  KeyDelivery,
  ReversalRequest,
} from '../credit-host.js';
import { Iso8583FieldError, responseMti, type FieldValues, type Iso8583Message } from './codec.js';
import { decodePrivateData, encodePrivateData, type PrivateData } from './private-data.js';

/** Field 70 values (ISO 8583:1987 network management information codes). */
export const NetworkManagementCode = {
  SignOn: '001',
  SignOff: '002',
  KeyDelivery: '161',
  EchoTest: '301',
} as const;

export const MTI = {
  NetworkManagementRequest: '0800',
  NetworkManagementResponse: '0810',
  AuthorizationRequest: '0100',
  AuthorizationRequestRepeat: '0101',
  AuthorizationResponse: '0110',
  FinancialRequest: '0200',
  FinancialRequestRepeat: '0201',
  FinancialResponse: '0210',
  ReversalRequest: '0400',
  ReversalRequestRepeat: '0401',
  ReversalResponse: '0410',
} as const;

/** Field 3: goods and services, default accounts. */
export const PROCESSING_CODE_PURCHASE = '000000';
/** Field 22: PAN entered by key (01), PIN entry capability unspecified (0). */
export const ENTRY_MODE_KEYED = '010';
/** Field 90's acquiring and forwarding institution codes when there is none (n11 each). */
const NO_INSTITUTION = '00000000000';

export type ReadResult<T> = { ok: true; value: T } | { ok: false; field: number; reason: string };

const two = (n: number): string => String(n).padStart(2, '0');

/** Field 7, MMDDhhmmss in UTC. */
export function transmissionDateTime(at: Date): string {
  return (
    two(at.getUTCMonth() + 1) +
    two(at.getUTCDate()) +
    two(at.getUTCHours()) +
    two(at.getUTCMinutes()) +
    two(at.getUTCSeconds())
  );
}

/** Field 12, hhmmss in UTC. */
export const localTime = (at: Date): string => transmissionDateTime(at).slice(4);
/** Field 13, MMDD in UTC. */
export const localDate = (at: Date): string => transmissionDateTime(at).slice(0, 4);

function stanField(stan: number): string {
  if (!Number.isInteger(stan) || stan < 1 || stan > 999_999)
    throw new Iso8583FieldError(11, `STAN ${stan} not in 1..999999`);
  return String(stan).padStart(6, '0');
}

function amountField(amount: number): string {
  if (!Number.isSafeInteger(amount) || amount < 0 || amount > 999_999_999_999) {
    throw new Iso8583FieldError(4, `amount ${amount} not in 0..999999999999`);
  }
  return String(amount).padStart(12, '0');
}

function padded(field: number, value: string, width: number): string {
  if (value.length > width) throw new Iso8583FieldError(field, `longer than ${width} characters`);
  return value.padEnd(width, ' ');
}

function privateDataField(data: PrivateData): string {
  try {
    return encodePrivateData(data);
  } catch (e) {
    throw new Iso8583FieldError(48, (e as Error).message);
  }
}

export interface NetworkManagementRequestInput {
  code: string;
  stan: number;
  at: Date;
  terminalId: string;
  privateData?: PrivateData;
}

/** 0800 with fields 7, 11, 41, 70 (and 48 for a key delivery). */
export function buildNetworkManagementRequest(input: NetworkManagementRequestInput): Iso8583Message {
  const fields: Record<number, string> = {
    7: transmissionDateTime(input.at),
    11: stanField(input.stan),
    41: padded(41, input.terminalId, 8),
    70: input.code,
  };
  if (input.privateData) fields[48] = privateDataField(input.privateData);
  return { mti: MTI.NetworkManagementRequest, fields };
}

/** Embodiment 2's key delivery: 0800, field 70 = 161, field 48 = EP, KY, TN. */
export function buildKeyDelivery(delivery: KeyDelivery, terminalId: string): Iso8583Message {
  return buildNetworkManagementRequest({
    code: NetworkManagementCode.KeyDelivery,
    stan: delivery.stan,
    at: delivery.at,
    terminalId,
    privateData: {
      EP: delivery.encryptedPan,
      KY: delivery.key.toUpperCase(),
      TN: delivery.transactionNumber,
    },
  });
}

function echo(request: Iso8583Message, numbers: readonly number[]): Record<number, string> {
  const out: Record<number, string> = {};
  for (const n of numbers) {
    const v = request.fields[n];
    if (v !== undefined) out[n] = v;
  }
  return out;
}

/** 0810: fields 7, 11, 41, 70 echoed, 39 added. */
export function buildNetworkManagementResponse(
  request: Iso8583Message,
  responseCode: string,
): Iso8583Message {
  return {
    mti: MTI.NetworkManagementResponse,
    fields: { ...echo(request, [7, 11, 41, 70]), 39: responseCode },
  };
}

export interface AuthorizationRequestOptions {
  /** 0200 (financial transaction, captured at once) instead of 0100. */
  financial?: boolean;
  /** 0101/0201: the same request again after no answer came. */
  repeat?: boolean;
  entryMode?: string;
}

/** 0100 / 0101 / 0200 / 0201 from the business request. */
export function buildAuthorizationRequest(
  req: AuthorizationRequest,
  options: AuthorizationRequestOptions = {},
): Iso8583Message {
  const mti = options.financial
    ? options.repeat
      ? MTI.FinancialRequestRepeat
      : MTI.FinancialRequest
    : options.repeat
      ? MTI.AuthorizationRequestRepeat
      : MTI.AuthorizationRequest;
  const data: PrivateData = { PM: req.paymentMethod, TN: req.transactionNumber };
  if (req.installments !== undefined) data.IN = two(req.installments);
  return {
    mti,
    fields: {
      2: req.pan,
      3: PROCESSING_CODE_PURCHASE,
      4: amountField(req.amountMinor),
      7: transmissionDateTime(req.at),
      11: stanField(req.stan),
      12: localTime(req.at),
      13: localDate(req.at),
      14: req.expiry,
      22: options.entryMode ?? ENTRY_MODE_KEYED,
      41: padded(41, req.terminalId, 8),
      42: padded(42, req.merchantId, 15),
      48: privateDataField(data),
      49: req.currencyNumeric,
    },
  };
}

export interface AuthorizationAnswer {
  responseCode: string;
  approvalCode?: string;
  rrn?: string;
}

/** 0110 / 0210 (or 0410): the request's 3, 4, 7, 11, 41, 42, 49 (and 90) echoed, 37, 38, 39 added. */
export function buildAuthorizationResponse(
  request: Iso8583Message,
  answer: AuthorizationAnswer,
): Iso8583Message {
  const mti = responseMti(request.mti);
  if (!mti) throw new Iso8583FieldError('mti', `${request.mti} is not a request`);
  const fields = echo(request, [3, 4, 7, 11, 41, 42, 49, 90]);
  if (answer.rrn !== undefined) fields[37] = answer.rrn;
  if (answer.approvalCode !== undefined) fields[38] = answer.approvalCode;
  fields[39] = answer.responseCode;
  return { mti, fields };
}

/** 0400 / 0401: the original's data elements, field 90 naming it, a STAN of its own. */
export function buildReversalRequest(
  req: ReversalRequest,
  options: { repeat?: boolean; originalMti?: string } = {},
): Iso8583Message {
  const original = buildAuthorizationRequest(req.original);
  const originalMti = options.originalMti ?? MTI.AuthorizationRequest;
  return {
    mti: options.repeat ? MTI.ReversalRequestRepeat : MTI.ReversalRequest,
    fields: {
      ...original.fields,
      7: transmissionDateTime(req.at),
      11: stanField(req.stan),
      12: localTime(req.at),
      13: localDate(req.at),
      90: originalMti + original.fields[11]! + original.fields[7]! + NO_INSTITUTION + NO_INSTITUTION,
    },
  };
}

// ---- readers ----

function need(fields: FieldValues, n: number, what: string): ReadResult<string> {
  const v = fields[n];
  return v === undefined
    ? { ok: false, field: n, reason: `${what} (field ${n}) missing` }
    : { ok: true, value: v };
}

function fail<T>(field: number, reason: string): ReadResult<T> {
  return { ok: false, field, reason };
}

export interface NetworkManagementRequestFields {
  code: string;
  stan: number;
  terminalId: string;
  transmittedAt: string;
  privateData: PrivateData;
}

export function readNetworkManagementRequest(m: Iso8583Message): ReadResult<NetworkManagementRequestFields> {
  const f = m.fields;
  const stan = need(f, 11, 'STAN');
  if (!stan.ok) return stan;
  const terminal = need(f, 41, 'terminal id');
  if (!terminal.ok) return terminal;
  const code = need(f, 70, 'network management information code');
  if (!code.ok) return code;
  const at = need(f, 7, 'transmission date and time');
  if (!at.ok) return at;
  let privateData: PrivateData = {};
  if (f[48] !== undefined) {
    const pd = decodePrivateData(f[48]);
    if (!pd.ok) return fail(48, pd.reason);
    privateData = pd.value;
  }
  return {
    ok: true,
    value: {
      code: code.value,
      stan: Number(stan.value),
      terminalId: terminal.value.trimEnd(),
      transmittedAt: at.value,
      privateData,
    },
  };
}

export interface KeyDeliveryFields {
  encryptedPan: string;
  key: string;
  transactionNumber: string;
}

/** The key delivery carried in an 0800's field 48. */
export function readKeyDelivery(privateData: PrivateData): ReadResult<KeyDeliveryFields> {
  const { EP, KY, TN } = privateData;
  if (EP === undefined || !/^[0-9]{12,19}$/.test(EP)) return fail(48, 'field 48 EP: not a card number');
  if (KY === undefined || !/^[0-9A-Fa-f]{64}$/.test(KY)) return fail(48, 'field 48 KY: not 64 hex digits');
  if (TN === undefined || TN.length === 0) return fail(48, 'field 48 TN: missing');
  return { ok: true, value: { encryptedPan: EP, key: KY.toLowerCase(), transactionNumber: TN } };
}

export interface AuthorizationRequestFields {
  mti: string;
  financial: boolean;
  repeat: boolean;
  pan: string;
  processingCode: string;
  amountMinor: number;
  transmittedAt: string;
  stan: number;
  expiry: string;
  terminalId: string;
  merchantId: string;
  currencyNumeric: string;
  paymentMethod: string;
  installments?: number;
  transactionNumber: string;
}

const PAYMENT_METHOD_CODES = ['L', 'I', 'B', 'pB', 'R'];

/** An 0100/0101/0200/0201 (or the original elements of an 0400) as the issuer needs them. */
export function readAuthorizationRequest(m: Iso8583Message): ReadResult<AuthorizationRequestFields> {
  const f = m.fields;
  const got: Record<number, string> = {};
  const names: [number, string][] = [
    [2, 'PAN'],
    [3, 'processing code'],
    [4, 'amount'],
    [7, 'transmission date and time'],
    [11, 'STAN'],
    [14, 'expiry date'],
    [41, 'terminal id'],
    [42, 'merchant id'],
    [48, 'private data'],
    [49, 'currency code'],
  ];
  for (const [n, what] of names) {
    const v = need(f, n, what);
    if (!v.ok) return v;
    got[n] = v.value;
  }
  const pan = got[2]!;
  if (pan.length < 12) return fail(2, 'PAN shorter than 12 digits');
  const expiry = got[14]!;
  if (Number(expiry.slice(2)) < 1 || Number(expiry.slice(2)) > 12) return fail(14, 'expiry month not 01..12');
  const pd = decodePrivateData(got[48]!);
  if (!pd.ok) return fail(48, pd.reason);
  const { PM, IN, TN } = pd.value;
  if (PM === undefined || !PAYMENT_METHOD_CODES.includes(PM))
    return fail(48, 'field 48 PM: not L, I, B, pB or R');
  if (TN === undefined || TN.length === 0) return fail(48, 'field 48 TN: missing');
  let installments: number | undefined;
  if (IN !== undefined) {
    if (!/^[0-9]{2}$/.test(IN) || IN === '00') return fail(48, 'field 48 IN: not 01..99');
    installments = Number(IN);
  }
  return {
    ok: true,
    value: {
      mti: m.mti,
      financial: m.mti[1] === '2',
      repeat: m.mti[3] === '1',
      pan,
      processingCode: got[3]!,
      amountMinor: Number(got[4]!),
      transmittedAt: got[7]!,
      stan: Number(got[11]!),
      expiry,
      terminalId: got[41]!.trimEnd(),
      merchantId: got[42]!.trimEnd(),
      currencyNumeric: got[49]!,
      paymentMethod: PM,
      ...(installments !== undefined ? { installments } : {}),
      transactionNumber: TN,
    },
  };
}

export interface OriginalDataElements {
  mti: string;
  stan: number;
  transmittedAt: string;
}

export interface ReversalRequestFields extends AuthorizationRequestFields {
  original: OriginalDataElements;
}

export function readReversalRequest(m: Iso8583Message): ReadResult<ReversalRequestFields> {
  const base = readAuthorizationRequest(m);
  if (!base.ok) return base;
  const f90 = need(m.fields, 90, 'original data elements');
  if (!f90.ok) return f90;
  const mti = f90.value.slice(0, 4);
  if (!/^0[12]0[01]$/.test(mti)) return fail(90, `field 90: original MTI ${mti} is not an 0100 or 0200`);
  const stan = Number(f90.value.slice(4, 10));
  if (stan < 1) return fail(90, 'field 90: original STAN is 0');
  return {
    ok: true,
    value: { ...base.value, original: { mti, stan, transmittedAt: f90.value.slice(10, 20) } },
  };
}

export interface ResponseFields extends AuthorizationResponse {
  mti: string;
  stan: number;
  terminalId: string;
}

/** Any response (0110, 0210, 0410, 0810): field 39 and what matches it to its request. */
export function readResponse(m: Iso8583Message): ReadResult<ResponseFields> {
  const code = need(m.fields, 39, 'response code');
  if (!code.ok) return code;
  const stan = need(m.fields, 11, 'STAN');
  if (!stan.ok) return stan;
  const terminal = need(m.fields, 41, 'terminal id');
  if (!terminal.ok) return terminal;
  const approvalCode = m.fields[38];
  const rrn = m.fields[37];
  return {
    ok: true,
    value: {
      mti: m.mti,
      stan: Number(stan.value),
      terminalId: terminal.value.trimEnd(),
      responseCode: code.value,
      approved: code.value === '00',
      ...(approvalCode !== undefined ? { approvalCode } : {}),
      ...(rrn !== undefined ? { rrn } : {}),
    },
  };
}
