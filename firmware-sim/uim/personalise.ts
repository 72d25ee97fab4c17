/**
 * Personalisation: a profile becomes the first EEPROM state of a card — the file tree of TS 51.011 §10 /
 * TS 31.102 §4 with contents, the secret codes, and the payment and certificate applications.
 */
import type { AccessCondition, FileStructure } from './codecs.js';
import {
  diallingNumber,
  encodeAd,
  encodeDiallingNumber,
  encodeDirRecord,
  encodeIccid,
  encodeImsi,
  encodePinBlock,
  encodeSpn,
  encodeSst,
  encodeSwappedBcd,
  encodeUst,
} from './codecs.js';
import {
  CERTIFICATE_AID,
  CERTIFICATE_FILE_SIZE,
  CertificateFile,
  DF_CERTIFICATE,
  keySlotFiles,
  PUBLIC_KEY_FILE_SIZE,
} from './certificate.js';
import type { RandomSource, RsaKeyGenerator } from './keys.js';
import { defaultRsaKeyGenerator, generateKeyPair } from './keys.js';
import {
  AUTH_RESULT_LENGTH,
  DF_PAYMENT,
  encodeDeviceId,
  encodeGatewayUrl,
  encodePaymentUser,
  encodeVerifier,
  PAYMENT_AID,
  PaymentFile,
  USER_RECORD_LENGTH,
  VERIFIER_RECORD_LENGTH,
} from './payment.js';
import type { CardProfile } from './profile.js';
import type { CardState, CodeState, FileState, KeyState } from './state.js';
import { CodeRef } from './state.js';

export const MF = 0x3f00;
export const DF_TELECOM = 0x7f10;
export const DF_GSM = 0x7f20;
/** File id the ADF USIM answers with in its FCP; it is selected by AID (or 7FFF once active). */
export const ADF_USIM = 0x7ff0;
/** Default USIM AID: RID A000000087 (3GPP), PIX 1002 (USIM) + country/provider bytes. */
export const DEFAULT_USIM_AID = 'A0000000871002FF49FF0589';

export const Ef = {
  ICCID: 0x2fe2,
  DIR: 0x2f00,
  PL: 0x2f05,
  ADN: 0x6f3a,
  FDN: 0x6f3b,
  SMS: 0x6f3c,
  MSISDN: 0x6f40,
  SMSP: 0x6f42,
  SMSS: 0x6f43,
  LP: 0x6f05,
  LI: 0x6f05,
  IMSI: 0x6f07,
  KEYS: 0x6f08,
  KC: 0x6f20,
  PLMNSEL: 0x6f30,
  HPLMN: 0x6f31,
  SST: 0x6f38,
  UST: 0x6f38,
  ACM: 0x6f39,
  SPN: 0x6f46,
  EST: 0x6f56,
  PSLOCI: 0x6f73,
  ACC: 0x6f78,
  FPLMN: 0x6f7b,
  LOCI: 0x6f7e,
  AD: 0x6fad,
  PHASE: 0x6fae,
} as const;

/** Services in EF_SST (GSM): CHV1 disable, ADN, FDN, SMS, AoC, PLMN selector, MSISDN, SMSP, SPN. */
export const SST_SERVICES = [1, 2, 3, 4, 5, 7, 9, 12, 17];
/** Services in EF_UST (USIM): FDN, SMS, SMSP, SPN, MSISDN. */
export const UST_SERVICES = [2, 10, 12, 19, 21];

export interface PersonaliseOptions {
  random: RandomSource;
  rsaKeyGenerator?: RsaKeyGenerator;
}

interface EfSpec {
  name: string;
  structure?: FileStructure;
  read: AccessCondition;
  update: AccessCondition;
  increase?: AccessCondition;
  sfi?: number;
  /** Transparent: the contents. */
  data?: Uint8Array;
  /** Record EFs. */
  recordLength?: number;
  records?: Uint8Array[];
  recordCount?: number;
  /** Fill of unused records (default FF). */
  emptyRecord?: Uint8Array;
}

function ef(path: number[], spec: EfSpec): FileState {
  const structure = spec.structure ?? 'transparent';
  const access = { read: spec.read, update: spec.update, increase: spec.increase ?? 'NEV' };
  const base: FileState = { path, type: 'ef', name: spec.name, structure, access };
  if (spec.sfi !== undefined) base.sfi = spec.sfi;
  if (structure === 'transparent') return { ...base, recordLength: 0, recordCount: 0, data: spec.data! };
  const len = spec.recordLength!;
  const count = spec.recordCount ?? spec.records?.length ?? 1;
  const data = new Uint8Array(len * count);
  for (let i = 0; i < count; i++) {
    const rec = spec.records?.[i] ?? spec.emptyRecord ?? new Uint8Array(len).fill(0xff);
    if (rec.length !== len)
      throw new RangeError(`${spec.name}: record ${i + 1} is ${rec.length} bytes, not ${len}`);
    data.set(rec, i * len);
  }
  return { ...base, recordLength: len, recordCount: count, data };
}

const ff = (n: number): Uint8Array => new Uint8Array(n).fill(0xff);
const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);
const fromHex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));

/** PLMN (MCC+MNC) coded as in EF_LOCI/EF_FPLMN (TS 24.008 §10.5.1.3). */
function plmnBytes(imsi: string, mncLength: number): Uint8Array {
  const mcc = imsi.slice(0, 3);
  const mnc = imsi.slice(3, 3 + mncLength);
  const d = (s: string, i: number): number => (i < s.length ? Number(s[i]) : 0x0f);
  return bytes((d(mcc, 1) << 4) | d(mcc, 0), (d(mnc, 2) << 4) | d(mcc, 2), (d(mnc, 1) << 4) | d(mnc, 0));
}

/** EF_ACC: access class 0–9 from the last IMSI digit (TS 22.011 §4.2), bit n of the 16-bit field. */
function accessClass(imsi: string): Uint8Array {
  const cls = Number(imsi[imsi.length - 1]);
  const v = 1 << cls;
  return bytes(v >> 8, v & 0xff);
}

/** An SMSP record with only the service-centre address (TS 31.102 §4.2.27). */
function smspRecord(smsc: string | undefined, length: number): Uint8Array {
  const out = ff(length);
  if (!smsc) return out;
  const alpha = length - 28;
  const digits = smsc.replace(/^\+/, '');
  out[alpha] = 0xfd; // parameter indicators: b2 = 0, TS-Service Centre Address present
  const sc = alpha + 13;
  out[sc] = 1 + Math.ceil(digits.length / 2);
  out[sc + 1] = smsc.startsWith('+') ? 0x91 : 0x81;
  out.set(encodeSwappedBcd(digits, 10, true), sc + 2);
  return out;
}

function telecomFiles(p: CardProfile): FileState[] {
  const base = [MF, DF_TELECOM];
  const adnCount = p.adnRecords ?? 20;
  const phonebook = (p.phonebook ?? []).map((e) =>
    encodeDiallingNumber(diallingNumber(e.name, e.number), 28),
  );
  if (phonebook.length > adnCount)
    throw new RangeError(`${phonebook.length} phone book entries, ${adnCount} records`);
  const msisdn = p.msisdn ? [encodeDiallingNumber(diallingNumber(p.msisdn.name, p.msisdn.number), 28)] : [];
  const smsEmpty = ff(176);
  smsEmpty[0] = 0x00;
  return [
    { path: base, type: 'df', name: 'DF_TELECOM' },
    ef([...base, Ef.ADN], {
      name: 'EF_ADN',
      structure: 'linear-fixed',
      read: 'CHV1',
      update: 'CHV1',
      recordLength: 28,
      recordCount: adnCount,
      records: phonebook,
    }),
    ef([...base, Ef.FDN], {
      name: 'EF_FDN',
      structure: 'linear-fixed',
      read: 'CHV1',
      update: 'CHV2',
      recordLength: 28,
      recordCount: 5,
    }),
    ef([...base, Ef.SMS], {
      name: 'EF_SMS',
      structure: 'linear-fixed',
      read: 'CHV1',
      update: 'CHV1',
      recordLength: 176,
      recordCount: p.smsRecords ?? 10,
      emptyRecord: smsEmpty,
    }),
    ef([...base, Ef.MSISDN], {
      name: 'EF_MSISDN',
      structure: 'linear-fixed',
      read: 'CHV1',
      update: 'CHV1',
      recordLength: 28,
      recordCount: 2,
      records: msisdn,
    }),
    ef([...base, Ef.SMSP], {
      name: 'EF_SMSP',
      structure: 'linear-fixed',
      read: 'CHV1',
      update: 'CHV1',
      recordLength: 40,
      recordCount: 1,
      records: [smspRecord(p.smsc, 40)],
    }),
    ef([...base, Ef.SMSS], { name: 'EF_SMSS', read: 'CHV1', update: 'CHV1', data: ff(2) }),
  ];
}

function gsmFiles(p: CardProfile): FileState[] {
  const base = [MF, DF_GSM];
  const loci = Uint8Array.from([...ff(4), ...plmnBytes(p.imsi, p.mncLength), 0xff, 0xfe, 0xff, 0x01]);
  return [
    { path: base, type: 'df', name: 'DF_GSM' },
    ef([...base, Ef.LP], { name: 'EF_LP', read: 'ALW', update: 'CHV1', data: bytes(0x01, 0xff) }),
    ef([...base, Ef.IMSI], { name: 'EF_IMSI', read: 'CHV1', update: 'ADM', data: encodeImsi(p.imsi) }),
    ef([...base, Ef.KC], {
      name: 'EF_Kc',
      read: 'CHV1',
      update: 'CHV1',
      data: Uint8Array.from([...ff(8), 0x07]),
    }),
    ef([...base, Ef.PLMNSEL], { name: 'EF_PLMNsel', read: 'CHV1', update: 'CHV1', data: ff(24) }),
    ef([...base, Ef.HPLMN], { name: 'EF_HPLMN', read: 'CHV1', update: 'ADM', data: bytes(0x0a) }),
    ef([...base, Ef.SST], { name: 'EF_SST', read: 'CHV1', update: 'ADM', data: encodeSst(SST_SERVICES, 5) }),
    ef([...base, Ef.ACM], {
      name: 'EF_ACM',
      structure: 'cyclic',
      read: 'CHV1',
      update: 'CHV1',
      increase: 'CHV1',
      recordLength: 3,
      recordCount: 5,
      emptyRecord: new Uint8Array(3),
    }),
    ef([...base, Ef.SPN], {
      name: 'EF_SPN',
      read: 'ALW',
      update: 'ADM',
      data: encodeSpn({ displayCondition: p.spn.displayCondition ?? 0x01, name: p.spn.name }),
    }),
    ef([...base, Ef.AD], {
      name: 'EF_AD',
      read: 'ALW',
      update: 'ADM',
      data: encodeAd({ operationMode: 0, additionalInfo: 0, mncLength: p.mncLength }),
    }),
    ef([...base, Ef.PHASE], { name: 'EF_Phase', read: 'ALW', update: 'ADM', data: bytes(0x03) }),
    ef([...base, Ef.LOCI], { name: 'EF_LOCI', read: 'CHV1', update: 'CHV1', data: loci }),
    ef([...base, Ef.ACC], { name: 'EF_ACC', read: 'CHV1', update: 'ADM', data: accessClass(p.imsi) }),
    ef([...base, Ef.FPLMN], { name: 'EF_FPLMN', read: 'CHV1', update: 'CHV1', data: ff(12) }),
  ];
}

function usimFiles(p: CardProfile, aid: Uint8Array): FileState[] {
  const base = [MF, ADF_USIM];
  const loci = Uint8Array.from([...ff(4), ...plmnBytes(p.imsi, p.mncLength), 0xff, 0xfe, 0xff, 0x01]);
  const psloci = Uint8Array.from([...ff(7), ...plmnBytes(p.imsi, p.mncLength), 0xff, 0xfe, 0xff, 0x01]);
  const msisdn = p.msisdn ? [encodeDiallingNumber(diallingNumber(p.msisdn.name, p.msisdn.number), 28)] : [];
  return [
    { path: base, type: 'adf', name: 'ADF_USIM', aid },
    ef([...base, Ef.LI], { name: 'EF_LI', sfi: 0x02, read: 'ALW', update: 'CHV1', data: bytes(0x65, 0x6e) }),
    ef([...base, Ef.IMSI], {
      name: 'EF_IMSI',
      sfi: 0x07,
      read: 'CHV1',
      update: 'ADM',
      data: encodeImsi(p.imsi),
    }),
    ef([...base, Ef.KEYS], {
      name: 'EF_KEYS',
      sfi: 0x08,
      read: 'CHV1',
      update: 'CHV1',
      data: Uint8Array.from([0x07, ...ff(32)]),
    }),
    ef([...base, Ef.HPLMN], { name: 'EF_HPPLMN', sfi: 0x12, read: 'CHV1', update: 'ADM', data: bytes(0x0a) }),
    ef([...base, Ef.UST], {
      name: 'EF_UST',
      sfi: 0x04,
      read: 'CHV1',
      update: 'ADM',
      data: encodeUst(UST_SERVICES, 8),
    }),
    ef([...base, Ef.EST], { name: 'EF_EST', sfi: 0x05, read: 'CHV1', update: 'CHV2', data: bytes(0x00) }),
    ef([...base, Ef.SPN], {
      name: 'EF_SPN',
      read: 'ALW',
      update: 'ADM',
      data: encodeSpn({ displayCondition: p.spn.displayCondition ?? 0x01, name: p.spn.name }),
    }),
    ef([...base, Ef.AD], {
      name: 'EF_AD',
      sfi: 0x03,
      read: 'ALW',
      update: 'ADM',
      data: encodeAd({ operationMode: 0, additionalInfo: 0, mncLength: p.mncLength }),
    }),
    ef([...base, Ef.MSISDN], {
      name: 'EF_MSISDN',
      structure: 'linear-fixed',
      read: 'CHV1',
      update: 'CHV1',
      recordLength: 28,
      recordCount: 2,
      records: msisdn,
    }),
    ef([...base, Ef.PSLOCI], { name: 'EF_PSLOCI', sfi: 0x0c, read: 'CHV1', update: 'CHV1', data: psloci }),
    ef([...base, Ef.ACC], {
      name: 'EF_ACC',
      sfi: 0x06,
      read: 'CHV1',
      update: 'ADM',
      data: accessClass(p.imsi),
    }),
    ef([...base, Ef.FPLMN], { name: 'EF_FPLMN', sfi: 0x0d, read: 'CHV1', update: 'CHV1', data: ff(12) }),
    ef([...base, Ef.LOCI], { name: 'EF_LOCI', sfi: 0x0b, read: 'CHV1', update: 'CHV1', data: loci }),
  ];
}

function paymentFiles(p: CardProfile, opts: PersonaliseOptions): FileState[] {
  const pay = p.payment!;
  const base = [MF, DF_PAYMENT];
  const count = Math.max(4, pay.users.length);
  const iterations = pay.pbkdf2Iterations ?? 10_000;
  return [
    { path: base, type: 'df', name: 'DF_PAYMENT', aid: PAYMENT_AID },
    ef([...base, PaymentFile.DEVICE_ID], {
      name: 'EF_PAY_DEVICE_ID',
      read: 'CHV1',
      update: 'ADM',
      data: encodeDeviceId(pay.deviceId),
    }),
    ef([...base, PaymentFile.GATEWAY_URL], {
      name: 'EF_PAY_GATEWAY_URL',
      read: 'CHV1',
      update: 'ADM',
      data: encodeGatewayUrl(pay.gatewayUrl),
    }),
    ef([...base, PaymentFile.USERS], {
      name: 'EF_PAY_USERS',
      structure: 'linear-fixed',
      read: 'CHV1',
      update: 'ADM',
      recordLength: USER_RECORD_LENGTH,
      recordCount: count,
      records: pay.users.map((u) => encodePaymentUser({ userId: u.userId, label: u.label })),
    }),
    ef([...base, PaymentFile.AUTH_RESULT], {
      name: 'EF_PAY_AUTH',
      read: 'CHV1',
      update: 'CHV1',
      data: ff(AUTH_RESULT_LENGTH),
    }),
    ef([...base, PaymentFile.VERIFIERS], {
      name: 'EF_PAY_VERIFIERS',
      structure: 'linear-fixed',
      read: 'NEV',
      update: 'NEV',
      recordLength: VERIFIER_RECORD_LENGTH,
      recordCount: count,
      records: pay.users.map((u) => encodeVerifier(u.password, opts.random(16), iterations)),
    }),
  ];
}

function certificateFiles(): FileState[] {
  const base = [MF, DF_CERTIFICATE];
  return [
    { path: base, type: 'df', name: 'DF_CERTIFICATE', aid: CERTIFICATE_AID },
    ef([...base, CertificateFile.PUBLIC_KEY_1], {
      name: 'EF_PUBLIC_KEY_1',
      read: 'ALW',
      update: 'NEV',
      data: ff(PUBLIC_KEY_FILE_SIZE),
    }),
    ef([...base, CertificateFile.CERTIFICATE_1], {
      name: 'EF_CERTIFICATE_1',
      read: 'ALW',
      update: 'CHV1',
      data: ff(CERTIFICATE_FILE_SIZE),
    }),
    ef([...base, CertificateFile.PUBLIC_KEY_2], {
      name: 'EF_PUBLIC_KEY_2',
      read: 'ALW',
      update: 'NEV',
      data: ff(PUBLIC_KEY_FILE_SIZE),
    }),
    ef([...base, CertificateFile.CERTIFICATE_2], {
      name: 'EF_CERTIFICATE_2',
      read: 'ALW',
      update: 'CHV1',
      data: ff(CERTIFICATE_FILE_SIZE),
    }),
  ];
}

function retry(pin: string, max: number): { value: Uint8Array; max: number; remaining: number } {
  return { value: encodePinBlock(pin), max, remaining: max };
}

/** The first EEPROM state of a card made from `profile`. */
export function personalise(profile: CardProfile, opts: PersonaliseOptions): CardState {
  const p = profile;
  const uicc = p.commandClass === 'uicc';
  const usimAid = fromHex(p.usimAid ?? DEFAULT_USIM_AID);
  const files: FileState[] = [
    { path: [MF], type: 'mf', name: 'MF' },
    ef([MF, Ef.ICCID], {
      name: 'EF_ICCID',
      sfi: 0x02,
      read: 'ALW',
      update: 'NEV',
      data: encodeIccid(p.iccid),
    }),
    ef([MF, Ef.PL], {
      name: uicc ? 'EF_PL' : 'EF_ELP',
      sfi: 0x05,
      read: 'ALW',
      update: 'CHV1',
      data: bytes(0x65, 0x6e, 0xff, 0xff),
    }),
  ];
  if (uicc) {
    const apps = [{ aid: usimAid, label: 'USIM' }];
    if (p.payment) apps.push({ aid: PAYMENT_AID, label: 'BT PAY' });
    if (p.certificate) apps.push({ aid: CERTIFICATE_AID, label: 'BT CERT' });
    files.push(
      ef([MF, Ef.DIR], {
        name: 'EF_DIR',
        sfi: 0x1e,
        structure: 'linear-fixed',
        read: 'ALW',
        update: 'ADM',
        recordLength: 38,
        recordCount: 4,
        records: apps.map((a) => encodeDirRecord(a, 38)),
      }),
    );
  }
  files.push(...telecomFiles(p), ...gsmFiles(p));
  if (uicc) files.push(...usimFiles(p, usimAid));
  if (p.payment) files.push(...paymentFiles(p, opts));
  if (p.certificate) files.push(...certificateFiles());

  const codes: CodeState[] = [
    {
      ref: CodeRef.PIN1,
      name: 'PIN1',
      code: retry(p.pin1, 3),
      enabled: p.pin1Enabled ?? true,
      unblock: retry(p.puk1, 10),
    },
    { ref: CodeRef.PIN2, name: 'PIN2', code: retry(p.pin2, 3), enabled: true, unblock: retry(p.puk2, 10) },
  ];
  if (p.adm) codes.push({ ref: CodeRef.ADM, name: 'ADM1', code: retry(p.adm, 10), enabled: true });
  const keys: KeyState[] = [];
  if (p.certificate) {
    const c = p.certificate;
    const cert: CodeState = {
      ref: CodeRef.CERTIFICATE,
      name: 'CERTIFICATE',
      code: retry(c.password, c.tries ?? 3),
      enabled: true,
    };
    if (c.unblock) cert.unblock = retry(c.unblock, 10);
    codes.push(cert);
    for (const k of c.keys ?? []) {
      const pair = generateKeyPair(k.algorithm, opts.random, opts.rsaKeyGenerator ?? defaultRsaKeyGenerator);
      keys.push({ ref: k.ref, algorithm: k.algorithm, ...pair });
      const slot = keySlotFiles(k.ref)!;
      const pub = files.find(
        (f) => f.path.length === 3 && f.path[1] === DF_CERTIFICATE && f.path[2] === slot.publicKey,
      )!;
      pub.data = ff(PUBLIC_KEY_FILE_SIZE);
      pub.data.set(pair.publicKey);
    }
  }
  const state: CardState = {
    profile: p.name,
    commandClass: p.commandClass,
    gsmCompatible: uicc ? (p.gsmCompatible ?? true) : true,
    atr: fromHex(p.atr),
    files,
    codes,
    keys,
  };
  if (p.payment) {
    const max = p.payment.passwordTries ?? 5;
    state.payment = { remaining: max, max, sequence: 0 };
    if (p.payment.authKey) state.payment.authKey = fromHex(p.payment.authKey);
  }
  return state;
}
