/**
 * The emulated UIM's operating system: APDU dispatch for the GSM class (TS 51.011, CLA A0) and the UICC
 * class (TS 102 221 / 31.102, CLA 00/80), the file system, access conditions, secret codes, and the
 * payment (seed 001) and certificate (seed 000) applications.
 *
 * T=0 behaviour, as a real card: data produced by a case-4 command (SELECT, SEARCH RECORD, INCREASE,
 * GENERATE KEY PAIR, PERFORM SECURITY OPERATION) is announced with 61xx (UICC) or 9Fxx (GSM) and kept
 * until GET RESPONSE fetches it — any other command discards it. PC/SC does not fetch it for the host.
 *
 * Persistence: every change of non-volatile state (EF contents, counters, keys) is written through the
 * injected `persist` callback before the response leaves the card. PIN-type counters are decremented and
 * persisted *before* the comparison and restored after a match, as real cards do against tearing. When
 * `persist` throws, the card rolls back to the last persisted image and answers "memory problem".
 */
import { createHash, randomBytes } from 'node:crypto';
import type { CommandApdu } from './apdu.js';
import { parseCommandApdu, responseApdu } from './apdu.js';
import type { SmartCard } from './card.js';
import {
  CertificateIns,
  DF_CERTIFICATE,
  KeyAlgorithmId,
  keySlotFiles,
  PUBLIC_KEY_FILE_SIZE,
  CERTIFICATE_FILE_SIZE,
  SignatureAlgorithm,
} from './certificate.js';
import type { AccessCondition } from './codecs.js';
import { concatBytes, decodePinBlock, parseBerTlv, sw61, sw63C, sw6C, sw9F, SW } from './codecs.js';
import type { FileNode } from './filesystem.js';
import {
  childByFid,
  childBySfi,
  FileTree,
  gsmSelectResponse,
  isDf,
  readRecord,
  recordCount,
  recordLength,
  selectByFid,
  uiccFcp,
  writeCyclic,
  writeRecord,
} from './filesystem.js';
import { decodeCardImage, encodeCardImage } from './image.js';
import type { RandomSource, RsaKeyGenerator } from './keys.js';
import {
  defaultRsaKeyGenerator,
  ecdsaSignHash,
  generateKeyPair,
  publicKeyDataObject,
  rsaSignHash,
} from './keys.js';
import {
  authResultMac,
  checkVerifier,
  deriveForVerifier,
  decodeDeviceId,
  decodePaymentUser,
  DEFAULT_AUTH_VALIDITY_S,
  DF_PAYMENT,
  encodeAuthResult,
  encodeVerifier,
  parsePaymentCommand,
  PaymentFile,
  PaymentIns,
} from './payment.js';
import type { AuthResult } from './payment.js';
import type { CardProfile } from './profile.js';
import { personalise } from './personalise.js';
import type { CardState, CodeState, KeyAlgorithm, RetryCode } from './state.js';
import { CodeRef } from './state.js';

export interface UimCardOptions {
  /**
   * Called with the whole EEPROM image after every change of non-volatile state, before the response
   * APDU is returned. Must be synchronous and durable when it returns; throwing makes the card roll back.
   */
  persist?: (image: Uint8Array) => void;
  /** Randomness for key generation and password salts (default: node:crypto randomBytes). */
  random?: RandomSource;
  /** RSA-2048 key generation (default: OpenSSL's). */
  rsaKeyGenerator?: RsaKeyGenerator;
}

type Dialect = 'gsm' | 'uicc';

interface Reply {
  sw: number;
  data?: Uint8Array;
}

class PersistError extends Error {}

const reply = (sw: number, data?: Uint8Array): Reply => (data ? { sw, data } : { sw });

const INS = {
  DEACTIVATE: 0x04,
  TERMINAL_PROFILE: 0x10,
  VERIFY: 0x20,
  CHANGE: 0x24,
  DISABLE: 0x26,
  ENABLE: 0x28,
  UNBLOCK: 0x2c,
  INCREASE: 0x32,
  ACTIVATE: 0x44,
  MANAGE_CHANNEL: 0x70,
  SEARCH_RECORD: 0xa2,
  SELECT: 0xa4,
  READ_BINARY: 0xb0,
  READ_RECORD: 0xb2,
  GET_RESPONSE: 0xc0,
  UPDATE_BINARY: 0xd6,
  UPDATE_RECORD: 0xdc,
  STATUS: 0xf2,
  SLEEP: 0xfa,
} as const;

/** Instructions of the UICC class, by CLA: 00 interindustry, 80 TS 102 221 and proprietary. */
const UICC_INS_00 = new Set<number>([
  INS.SELECT,
  INS.READ_BINARY,
  INS.UPDATE_BINARY,
  INS.READ_RECORD,
  INS.UPDATE_RECORD,
  INS.SEARCH_RECORD,
  INS.VERIFY,
  INS.CHANGE,
  INS.DISABLE,
  INS.ENABLE,
  INS.UNBLOCK,
  INS.GET_RESPONSE,
  INS.MANAGE_CHANNEL,
  CertificateIns.MSE,
  CertificateIns.PSO,
  CertificateIns.GENERATE_ASYMMETRIC_KEY_PAIR,
]);
const UICC_INS_80 = new Set<number>([
  INS.STATUS,
  INS.INCREASE,
  INS.TERMINAL_PROFILE,
  PaymentIns.VERIFY_PAYMENT_PASSWORD,
  PaymentIns.CHANGE_PAYMENT_PASSWORD,
]);

/** A UIM (GSM SIM or UICC with USIM) implementing SmartCard. */
/** Derivations prepare() keeps waiting for their command (a phone sends it right after). */
const MAX_PREPARED = 4;

/** Names a derivation by what it was computed from, without keeping the password itself. */
const derivationKey = (record: Uint8Array, password: Uint8Array): string =>
  createHash('sha256').update(record).update(password).digest('hex');

export class UimCard implements SmartCard {
  private state: CardState;
  private tree: FileTree;
  /** What `persist` last received; undefined when there is no persist and the state changed since. */
  private lastImage: Uint8Array | undefined;
  private readonly persistFn: ((image: Uint8Array) => void) | undefined;
  private readonly random: RandomSource;
  private readonly rsaKeyGenerator: RsaKeyGenerator;
  private isPowered = false;

  // Volatile state, lost at reset.
  private currentDf!: FileNode;
  private currentEf: FileNode | undefined;
  private currentApp: FileNode | undefined;
  private recordPointer = 0;
  private readonly verified = new Set<number>();
  /** The certificate password authorises one signature (VERIFY 90 → one COMPUTE DIGITAL SIGNATURE). */
  private signatureArmed = false;
  private pending: Uint8Array | undefined;
  private security: { keyRef: number; algorithm: number | undefined } = { keyRef: 1, algorithm: undefined };
  /** Key derivations computed ahead by prepare(), by verifier record and password; each serves one check. */
  private readonly derived = new Map<string, Uint8Array>();

  /** A card from a state (personalised or loaded from an image). */
  constructor(state: CardState, options: UimCardOptions = {}) {
    this.state = state;
    this.tree = new FileTree(state.files);
    this.lastImage = encodeCardImage(state);
    this.persistFn = options.persist;
    this.random = options.random ?? ((n) => new Uint8Array(randomBytes(n)));
    this.rsaKeyGenerator = options.rsaKeyGenerator ?? defaultRsaKeyGenerator;
    this.resetVolatile();
  }

  /** Personalises a new card from a profile. */
  static fromProfile(profile: CardProfile, options: UimCardOptions = {}): UimCard {
    const random = options.random ?? ((n: number) => new Uint8Array(randomBytes(n)));
    const state = personalise(profile, {
      random,
      rsaKeyGenerator: options.rsaKeyGenerator ?? defaultRsaKeyGenerator,
    });
    return new UimCard(state, { ...options, random });
  }

  /** A card from its EEPROM image; throws CardImageError when the image is damaged. */
  static fromImage(image: Uint8Array, options: UimCardOptions = {}): UimCard {
    const r = decodeCardImage(image);
    if (!r.ok) throw new CardImageError(r.error);
    return new UimCard(r.value, options);
  }

  get atr(): Uint8Array {
    return Uint8Array.from(this.state.atr);
  }

  get powered(): boolean {
    return this.isPowered;
  }

  get profileName(): string {
    return this.state.profile;
  }

  get commandClass(): Dialect {
    return this.state.commandClass;
  }

  /** The current EEPROM image (what `persist` last received, or the initial state). */
  image(): Uint8Array {
    return Uint8Array.from(this.lastImage ?? encodeCardImage(this.state));
  }

  powerOn(): Uint8Array {
    this.isPowered = true;
    this.resetVolatile();
    return this.atr;
  }

  powerOff(): void {
    this.isPowered = false;
    this.resetVolatile();
  }

  reset(): Uint8Array {
    return this.powerOn();
  }

  /**
   * Computes ahead, on libuv's thread pool, the key derivation a VERIFY PAYMENT PASSWORD will need, so the
   * emulator's event loop is not held for it (a real card has a processor of its own). The command itself
   * is then sent with transmit() and behaves exactly as without: the counter, the check and the answer all
   * happen there; a derivation that no longer fits the card's verifier is simply not used.
   */
  async prepare(command: Uint8Array): Promise<void> {
    const a = parseCommandApdu(command);
    if (!a.ok || a.apdu.ins !== PaymentIns.VERIFY_PAYMENT_PASSWORD || !this.state.payment) return;
    const fields = parsePaymentCommand(a.apdu.data);
    const verifiers = this.paymentFile(PaymentFile.VERIFIERS)?.file;
    if (!fields.ok || !fields.value.password || !verifiers || !this.paymentFile(PaymentFile.USERS)) return;
    const n = this.findUser(fields.value.userId);
    if (n < 1 || n > recordCount(verifiers)) return;
    const record = readRecord(verifiers, n);
    const key = derivationKey(record, fields.value.password);
    const derived = await deriveForVerifier(record, fields.value.password);
    if (!derived) return;
    if (this.derived.size >= MAX_PREPARED) this.derived.delete(this.derived.keys().next().value!);
    this.derived.set(key, derived);
  }

  transmit(command: Uint8Array): Uint8Array {
    if (!this.isPowered) return responseApdu(SW.TECHNICAL_PROBLEM);
    try {
      const r = this.process(command);
      return responseApdu(r.sw, r.data);
    } catch (err) {
      this.pending = undefined;
      if (err instanceof PersistError) {
        return responseApdu(this.state.commandClass === 'gsm' ? SW.GSM_MEMORY_PROBLEM : SW.MEMORY_PROBLEM);
      }
      return responseApdu(SW.TECHNICAL_PROBLEM);
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // Dispatch
  // -------------------------------------------------------------------------------------------------------

  private resetVolatile(): void {
    this.currentDf = this.tree.root;
    this.currentEf = undefined;
    this.currentApp = undefined;
    this.recordPointer = 0;
    this.verified.clear();
    this.signatureArmed = false;
    this.pending = undefined;
    this.security = { keyRef: 1, algorithm: undefined };
  }

  private process(bytes: Uint8Array): Reply {
    const parsed = parseCommandApdu(bytes);
    if (!parsed.ok) {
      this.pending = undefined;
      return reply(parsed.sw);
    }
    const apdu = parsed.apdu;
    const dialect = this.dialectOf(apdu.cla);
    if (typeof dialect === 'number') {
      this.pending = undefined;
      return reply(dialect);
    }
    // INS 6X and 9X are procedure bytes under T=0, never instructions.
    if ((apdu.ins & 0xf0) === 0x60 || (apdu.ins & 0xf0) === 0x90) {
      this.pending = undefined;
      return reply(SW.INS_NOT_SUPPORTED);
    }
    if (apdu.ins === INS.GET_RESPONSE && (dialect === 'gsm' || apdu.cla === 0x00)) {
      return this.getResponse(apdu, dialect);
    }
    this.pending = undefined;
    if (dialect === 'gsm') return this.dispatchGsm(apdu);
    return this.dispatchUicc(apdu);
  }

  /** The dialect a CLA selects, or the status word refusing it. */
  private dialectOf(cla: number): Dialect | number {
    const s = this.state;
    if (cla === 0xa0) return s.commandClass === 'gsm' || s.gsmCompatible ? 'gsm' : SW.CLA_NOT_SUPPORTED;
    if (s.commandClass === 'gsm') return SW.CLA_NOT_SUPPORTED;
    const base = cla & 0xf0;
    if (base !== 0x00 && base !== 0x80 && base !== 0x40 && base !== 0xc0) return SW.CLA_NOT_SUPPORTED;
    if (base === 0x40 || base === 0xc0) return SW.LOGICAL_CHANNEL_NOT_SUPPORTED;
    if (cla & 0x0c) return SW.SECURE_MESSAGING_NOT_SUPPORTED;
    if (cla & 0x03) return SW.LOGICAL_CHANNEL_NOT_SUPPORTED;
    return 'uicc';
  }

  private dispatchUicc(a: CommandApdu): Reply {
    const table = a.cla === 0x00 ? UICC_INS_00 : UICC_INS_80;
    if (!table.has(a.ins)) {
      const other = a.cla === 0x00 ? UICC_INS_80 : UICC_INS_00;
      return reply(other.has(a.ins) ? SW.CLA_NOT_SUPPORTED : SW.INS_NOT_SUPPORTED);
    }
    switch (a.ins) {
      case INS.SELECT:
        return this.selectUicc(a);
      case INS.STATUS:
        return this.statusUicc(a);
      case INS.READ_BINARY:
        return this.readBinary(a, 'uicc');
      case INS.UPDATE_BINARY:
        return this.updateBinary(a, 'uicc');
      case INS.READ_RECORD:
        return this.readRecord(a, 'uicc');
      case INS.UPDATE_RECORD:
        return this.updateRecord(a, 'uicc');
      case INS.SEARCH_RECORD:
        return this.searchRecord(a);
      case INS.INCREASE:
        return this.increase(a, 'uicc');
      case INS.VERIFY:
        return this.verify(a, 'uicc');
      case INS.CHANGE:
        return this.change(a, 'uicc');
      case INS.DISABLE:
      case INS.ENABLE:
        return this.enableDisable(a, 'uicc');
      case INS.UNBLOCK:
        return this.unblock(a, 'uicc');
      case INS.MANAGE_CHANNEL:
        return reply(SW.LOGICAL_CHANNEL_NOT_SUPPORTED);
      case INS.TERMINAL_PROFILE:
        return reply(SW.OK);
      default:
        return this.dispatchApplications(a, 'uicc');
    }
  }

  private dispatchGsm(a: CommandApdu): Reply {
    switch (a.ins) {
      case INS.SELECT:
        return this.selectGsm(a);
      case INS.STATUS:
        return this.statusGsm(a);
      case INS.READ_BINARY:
        return this.readBinary(a, 'gsm');
      case INS.UPDATE_BINARY:
        return this.updateBinary(a, 'gsm');
      case INS.READ_RECORD:
        return this.readRecord(a, 'gsm');
      case INS.UPDATE_RECORD:
        return this.updateRecord(a, 'gsm');
      case INS.SEARCH_RECORD:
        return this.seekGsm(a);
      case INS.INCREASE:
        return this.increase(a, 'gsm');
      case INS.VERIFY:
        return this.verify(a, 'gsm');
      case INS.CHANGE:
        return this.change(a, 'gsm');
      case INS.DISABLE:
      case INS.ENABLE:
        return this.enableDisable(a, 'gsm');
      case INS.UNBLOCK:
        return this.unblock(a, 'gsm');
      case INS.TERMINAL_PROFILE:
      case INS.SLEEP:
        return reply(SW.OK);
      case PaymentIns.VERIFY_PAYMENT_PASSWORD:
      case PaymentIns.CHANGE_PAYMENT_PASSWORD:
      case CertificateIns.MSE:
      case CertificateIns.PSO:
      case CertificateIns.GENERATE_ASYMMETRIC_KEY_PAIR:
        return this.dispatchApplications(a, 'gsm');
      default:
        return reply(SW.INS_NOT_SUPPORTED);
    }
  }

  private dispatchApplications(a: CommandApdu, d: Dialect): Reply {
    switch (a.ins) {
      case PaymentIns.VERIFY_PAYMENT_PASSWORD:
        return this.verifyPaymentPassword(a, d);
      case PaymentIns.CHANGE_PAYMENT_PASSWORD:
        return this.changePaymentPassword(a, d);
      case CertificateIns.MSE:
        return this.manageSecurityEnvironment(a, d);
      case CertificateIns.PSO:
        return this.performSecurityOperation(a, d);
      case CertificateIns.GENERATE_ASYMMETRIC_KEY_PAIR:
        return this.generateKeyPair(a, d);
      default:
        return reply(SW.INS_NOT_SUPPORTED);
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // Helpers: status words per dialect, response data, persistence
  // -------------------------------------------------------------------------------------------------------

  private sw(d: Dialect, uicc: number, gsm: number): Reply {
    return reply(d === 'gsm' ? gsm : uicc);
  }

  private notFound(d: Dialect): Reply {
    return this.sw(d, SW.FILE_NOT_FOUND, SW.GSM_FILE_NOT_FOUND);
  }

  private denied(d: Dialect): Reply {
    return this.sw(d, SW.SECURITY_STATUS_NOT_SATISFIED, SW.GSM_ACCESS_CONDITION_NOT_FULFILLED);
  }

  private wrongP1P2(d: Dialect): Reply {
    return this.sw(d, SW.INCORRECT_P1_P2, SW.WRONG_P1_P2);
  }

  /** Data that waits for GET RESPONSE (T=0 case 4). */
  private offer(data: Uint8Array, d: Dialect): Reply {
    this.pending = data;
    const n = data.length >= 256 ? 0 : data.length;
    return reply(d === 'gsm' ? sw9F(n) : sw61(n));
  }

  /** Le for case-2 commands; absent Le means P3 = 00 under T=0, i.e. 256. */
  private static ne(a: CommandApdu): number {
    return a.ne ?? 256;
  }

  /** Answers data of exactly `data.length` bytes to a case-2 command: Le must match (6Cxx / 6700 if not). */
  private exact(a: CommandApdu, data: Uint8Array, d: Dialect): Reply {
    const ne = UimCard.ne(a);
    if (ne === data.length || (a.extended && ne >= data.length)) return reply(SW.OK, data);
    if (d === 'gsm') return reply(SW.WRONG_LENGTH);
    return reply(sw6C(data.length));
  }

  private getResponse(a: CommandApdu, d: Dialect): Reply {
    const pending = this.pending;
    this.pending = undefined;
    if (a.p1 !== 0 || a.p2 !== 0) return this.sw(d, SW.WRONG_P1_P2, SW.WRONG_P1_P2);
    if (a.hasLc) return reply(SW.WRONG_LENGTH);
    if (!pending) return this.sw(d, SW.CONDITIONS_NOT_SATISFIED, SW.TECHNICAL_PROBLEM);
    const ne = UimCard.ne(a);
    if (ne > pending.length && !a.extended) {
      this.pending = pending;
      return d === 'gsm' ? reply(SW.WRONG_LENGTH) : reply(sw6C(pending.length));
    }
    const out = pending.slice(0, ne);
    const rest = pending.slice(ne);
    if (rest.length === 0) return reply(SW.OK, out);
    this.pending = rest;
    const n = rest.length >= 256 ? 0 : rest.length;
    return reply(d === 'gsm' ? sw9F(n) : sw61(n), out);
  }

  /** Writes the image through `persist`; on failure restores the last good image and throws. */
  private commit(): void {
    // Without persistence there is nothing to write or roll back to: image() encodes when asked.
    if (!this.persistFn) {
      this.lastImage = undefined;
      return;
    }
    const image = encodeCardImage(this.state);
    try {
      this.persistFn?.(image);
      this.lastImage = image;
    } catch {
      const r = decodeCardImage(this.lastImage!);
      if (r.ok) this.restore(r.value);
      throw new PersistError('persist failed');
    }
  }

  private restore(state: CardState): void {
    const paths = {
      df: this.currentDf.file.path,
      ef: this.currentEf?.file.path,
      app: this.currentApp?.file.path,
    };
    this.state = state;
    this.tree = new FileTree(state.files);
    this.currentDf = this.tree.get(paths.df) ?? this.tree.root;
    this.currentEf = paths.ef ? this.tree.get(paths.ef) : undefined;
    this.currentApp = paths.app ? this.tree.get(paths.app) : undefined;
  }

  private code(ref: number): CodeState | undefined {
    return this.state.codes.find((c) => c.ref === ref);
  }

  private satisfied(ac: AccessCondition): boolean {
    switch (ac) {
      case 'ALW':
        return true;
      case 'NEV':
        return false;
      case 'CHV1': {
        const pin1 = this.code(CodeRef.PIN1);
        return !pin1 || !pin1.enabled || this.verified.has(CodeRef.PIN1);
      }
      case 'CHV2':
        return this.verified.has(CodeRef.PIN2);
      case 'ADM':
        return this.verified.has(CodeRef.ADM);
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // SELECT, STATUS
  // -------------------------------------------------------------------------------------------------------

  private makeCurrent(node: FileNode): void {
    if (node.file.type === 'ef') {
      if (this.currentEf !== node) this.recordPointer = 0;
      this.currentEf = node;
      this.currentDf = node.parent ?? this.tree.root;
    } else {
      this.currentDf = node;
      this.currentEf = undefined;
      this.recordPointer = 0;
      if (node.file.type === 'adf') this.currentApp = node;
    }
  }

  private selectGsm(a: CommandApdu): Reply {
    if (a.p1 !== 0 || a.p2 !== 0) return reply(SW.WRONG_P1_P2);
    if (a.data.length !== 2) return reply(SW.WRONG_LENGTH);
    const fid = (a.data[0]! << 8) | a.data[1]!;
    const node = selectByFid(this.tree, this.gsmView(this.currentDf), fid, true);
    if (!node) return reply(SW.GSM_FILE_NOT_FOUND);
    this.makeCurrent(node);
    return this.offer(gsmSelectResponse(this.state, node), 'gsm');
  }

  /** GSM commands do not see the ADF: inside it, they act from the MF. */
  private gsmView(df: FileNode): FileNode {
    return df.file.type === 'adf' ? this.tree.root : df;
  }

  private selectUicc(a: CommandApdu): Reply {
    const kind = a.p2 & 0xfc;
    if (kind !== 0x04 && kind !== 0x0c && kind !== 0x00) return reply(SW.INCORRECT_P1_P2);
    // P2 b2–b1: first/only occurrence (00) only; "next" (DF name selection) finds no second match.
    if ((a.p2 & 0x03) !== 0) return reply(a.p1 === 0x04 ? SW.FILE_NOT_FOUND : SW.INCORRECT_P1_P2);
    const data = a.data;
    let node: FileNode | undefined;
    switch (a.p1) {
      case 0x00: {
        if (data.length === 0) node = this.tree.root;
        else if (data.length !== 2) return reply(SW.LC_INCONSISTENT_WITH_P1_P2);
        else {
          const fid = (data[0]! << 8) | data[1]!;
          node = fid === 0x7fff ? this.currentApp : selectByFid(this.tree, this.currentDf, fid, false);
        }
        break;
      }
      case 0x01:
      case 0x02: {
        if (data.length !== 2) return reply(SW.LC_INCONSISTENT_WITH_P1_P2);
        const c = childByFid(this.currentDf, (data[0]! << 8) | data[1]!);
        node = c && (a.p1 === 0x01 ? isDf(c) : !isDf(c)) ? c : undefined;
        break;
      }
      case 0x03:
        if (data.length !== 0) return reply(SW.LC_INCONSISTENT_WITH_P1_P2);
        node = this.currentDf.parent ?? this.tree.root;
        break;
      case 0x04:
        if (data.length < 1 || data.length > 16) return reply(SW.LC_INCONSISTENT_WITH_P1_P2);
        node = this.tree.findByAid(data);
        break;
      case 0x08:
      case 0x09: {
        if (data.length < 2 || data.length % 2 !== 0) return reply(SW.LC_INCONSISTENT_WITH_P1_P2);
        let at: FileNode | undefined = a.p1 === 0x08 ? this.tree.root : this.currentDf;
        for (let i = 0; i < data.length && at; i += 2) {
          const fid = (data[i]! << 8) | data[i + 1]!;
          if (i === 0 && a.p1 === 0x08 && fid === 0x3f00) return reply(SW.FILE_NOT_FOUND);
          if (i === 0 && fid === 0x7fff) at = this.currentApp;
          else at = isDf(at) ? childByFid(at, fid) : undefined;
        }
        node = at;
        break;
      }
      default:
        return reply(SW.INCORRECT_P1_P2);
    }
    if (!node) return reply(SW.FILE_NOT_FOUND);
    this.makeCurrent(node);
    if (kind === 0x0c) return reply(SW.OK);
    return this.offer(uiccFcp(this.state, node), 'uicc');
  }

  private statusGsm(a: CommandApdu): Reply {
    if (a.p1 !== 0 || a.p2 !== 0) return reply(SW.WRONG_P1_P2);
    if (a.hasLc) return reply(SW.WRONG_LENGTH);
    const data = gsmSelectResponse(this.state, this.gsmView(this.currentDf));
    const ne = UimCard.ne(a);
    if (ne > data.length) return reply(SW.WRONG_LENGTH);
    return reply(SW.OK, data.slice(0, ne));
  }

  private statusUicc(a: CommandApdu): Reply {
    if (a.p1 > 0x02) return reply(SW.INCORRECT_P1_P2);
    if (a.hasLc) return reply(SW.WRONG_LENGTH);
    if (a.p2 === 0x0c) return reply(SW.OK);
    if (a.p2 === 0x00) return this.exact(a, uiccFcp(this.state, this.currentDf), 'uicc');
    if (a.p2 === 0x01) {
      const aid = this.currentApp?.file.aid;
      if (!aid) return reply(SW.OK);
      return this.exact(a, concatBytes([Uint8Array.of(0x84, aid.length), aid]), 'uicc');
    }
    return reply(SW.INCORRECT_P1_P2);
  }

  // -------------------------------------------------------------------------------------------------------
  // Transparent EFs
  // -------------------------------------------------------------------------------------------------------

  /** The EF a READ/UPDATE BINARY addresses (by SFI in P1 b8 on a UICC), with its offset. */
  private binaryTarget(a: CommandApdu, d: Dialect): { node: FileNode; offset: number } | Reply {
    let node: FileNode | undefined;
    let offset: number;
    if (a.p1 & 0x80) {
      if (d === 'gsm' || (a.p1 & 0x60) !== 0) return this.wrongP1P2(d);
      node = childBySfi(this.currentDf, a.p1 & 0x1f);
      if (!node) return reply(SW.FILE_NOT_FOUND);
      this.makeCurrent(node);
      offset = a.p2;
    } else {
      node = this.currentEf;
      offset = (a.p1 << 8) | a.p2;
    }
    if (!node) return this.sw(d, SW.NO_EF_SELECTED, SW.GSM_NO_EF_SELECTED);
    if (node.file.structure !== 'transparent') {
      return this.sw(d, SW.INCOMPATIBLE_FILE_STRUCTURE, SW.GSM_FILE_INCONSISTENT);
    }
    return { node, offset };
  }

  private readBinary(a: CommandApdu, d: Dialect): Reply {
    if (a.hasLc) return reply(SW.WRONG_LENGTH);
    const t = this.binaryTarget(a, d);
    if ('sw' in t) return t;
    if (!this.satisfied(t.node.file.access!.read)) return this.denied(d);
    const data = t.node.file.data!;
    if (t.offset >= data.length) return this.sw(d, SW.WRONG_P1_P2, SW.GSM_OUT_OF_RANGE);
    const available = data.length - t.offset;
    const ne = UimCard.ne(a);
    if (ne > available) {
      if (a.extended) return reply(SW.END_OF_FILE, data.slice(t.offset));
      return d === 'gsm' ? reply(SW.WRONG_LENGTH) : reply(sw6C(available));
    }
    return reply(SW.OK, data.slice(t.offset, t.offset + ne));
  }

  private updateBinary(a: CommandApdu, d: Dialect): Reply {
    if (!a.hasLc || a.ne !== undefined) return reply(SW.WRONG_LENGTH);
    const t = this.binaryTarget(a, d);
    if ('sw' in t) return t;
    if (!this.satisfied(t.node.file.access!.update)) return this.denied(d);
    const data = t.node.file.data!;
    if (t.offset >= data.length) return this.sw(d, SW.WRONG_P1_P2, SW.GSM_OUT_OF_RANGE);
    if (t.offset + a.data.length > data.length) return reply(SW.WRONG_LENGTH);
    data.set(a.data, t.offset);
    this.commit();
    return reply(SW.OK);
  }

  // -------------------------------------------------------------------------------------------------------
  // Record EFs
  // -------------------------------------------------------------------------------------------------------

  /** The record EF of a READ/UPDATE RECORD: SFI in P2 b8–b4 on a UICC, else the current EF. */
  private recordTarget(a: CommandApdu, d: Dialect): FileNode | Reply {
    const sfi = d === 'uicc' ? a.p2 >> 3 : 0;
    let node: FileNode | undefined = this.currentEf;
    if (sfi !== 0) {
      if (sfi === 0x1f) return reply(SW.INCORRECT_P1_P2);
      node = childBySfi(this.currentDf, sfi);
      if (!node) return reply(SW.FILE_NOT_FOUND);
      this.makeCurrent(node);
    }
    if (!node) return this.sw(d, SW.NO_EF_SELECTED, SW.GSM_NO_EF_SELECTED);
    if (node.file.structure === 'transparent') {
      return this.sw(d, SW.INCOMPATIBLE_FILE_STRUCTURE, SW.GSM_FILE_INCONSISTENT);
    }
    return node;
  }

  /** Resolves P1/mode to a record number and the record pointer it leaves; undefined = not found. */
  private locateRecord(node: FileNode, p1: number, mode: number): { n: number; pointer: number } | undefined {
    const count = recordCount(node.file);
    const cyclic = node.file.structure === 'cyclic';
    const ptr = this.recordPointer;
    switch (mode) {
      case 0x04:
        if (p1 === 0) return ptr >= 1 && ptr <= count ? { n: ptr, pointer: ptr } : undefined;
        return p1 <= count ? { n: p1, pointer: ptr } : undefined;
      case 0x02: {
        if (p1 !== 0) return undefined;
        let n = ptr === 0 ? 1 : ptr + 1;
        if (n > count) {
          if (!cyclic) return undefined;
          n = 1;
        }
        return { n, pointer: n };
      }
      case 0x03: {
        if (p1 !== 0) return undefined;
        let n = ptr === 0 ? count : ptr - 1;
        if (n < 1) {
          if (!cyclic) return undefined;
          n = count;
        }
        return { n, pointer: n };
      }
      default:
        return undefined;
    }
  }

  private readRecord(a: CommandApdu, d: Dialect): Reply {
    if (a.hasLc) return reply(SW.WRONG_LENGTH);
    const mode = a.p2 & 0x07;
    if (mode !== 0x02 && mode !== 0x03 && mode !== 0x04) return this.wrongP1P2(d);
    if (d === 'gsm' && a.p2 > 0x04) return reply(SW.WRONG_P1_P2);
    if (mode !== 0x04 && a.p1 !== 0) return this.wrongP1P2(d);
    const node = this.recordTarget(a, d);
    if ('sw' in node) return node;
    if (!this.satisfied(node.file.access!.read)) return this.denied(d);
    const at = this.locateRecord(node, a.p1, mode);
    if (!at) return this.sw(d, SW.RECORD_NOT_FOUND, SW.GSM_OUT_OF_RANGE);
    const rec = readRecord(node.file, at.n);
    const r = this.exact(a, rec, d);
    if (r.sw === SW.OK) this.recordPointer = at.pointer;
    return r;
  }

  private updateRecord(a: CommandApdu, d: Dialect): Reply {
    if (!a.hasLc || a.ne !== undefined) return reply(SW.WRONG_LENGTH);
    const mode = a.p2 & 0x07;
    if (mode !== 0x02 && mode !== 0x03 && mode !== 0x04) return this.wrongP1P2(d);
    if (d === 'gsm' && a.p2 > 0x04) return reply(SW.WRONG_P1_P2);
    if (mode !== 0x04 && a.p1 !== 0) return this.wrongP1P2(d);
    const node = this.recordTarget(a, d);
    if ('sw' in node) return node;
    const f = node.file;
    if (!this.satisfied(f.access!.update)) return this.denied(d);
    if (a.data.length !== recordLength(f)) return reply(SW.WRONG_LENGTH);
    if (f.structure === 'cyclic') {
      // Only PREVIOUS: the oldest record is overwritten and becomes record 1.
      if (mode !== 0x03) return this.wrongP1P2(d);
      writeCyclic(f, a.data);
      this.recordPointer = 1;
    } else {
      const at = this.locateRecord(node, a.p1, mode);
      if (!at) return this.sw(d, SW.RECORD_NOT_FOUND, SW.GSM_OUT_OF_RANGE);
      writeRecord(f, at.n, a.data);
      this.recordPointer = at.pointer;
    }
    this.commit();
    return reply(SW.OK);
  }

  /** Records (in search order) whose first bytes equal `pattern`. */
  private static matches(node: FileNode, order: number[], pattern: Uint8Array): number[] {
    return order.filter((n) => {
      const rec = readRecord(node.file, n);
      return pattern.every((b, i) => rec[i] === b);
    });
  }

  /** UICC SEARCH RECORD, simple search (TS 102 221 §11.1.7): records beginning with the pattern. */
  private searchRecord(a: CommandApdu): Reply {
    if (!a.hasLc || a.data.length === 0) return reply(SW.WRONG_LENGTH);
    const mode = a.p2 & 0x07;
    const node = this.recordTarget(a, 'uicc');
    if ('sw' in node) return node;
    if (!this.satisfied(node.file.access!.read)) return this.denied('uicc');
    const count = recordCount(node.file);
    if (a.data.length > recordLength(node.file)) return reply(SW.WRONG_LENGTH);
    const range = (from: number, to: number): number[] => {
      const out: number[] = [];
      if (from <= to) for (let i = from; i <= to; i++) out.push(i);
      else for (let i = from; i >= to; i--) out.push(i);
      return out;
    };
    let order: number[];
    const ptr = this.recordPointer;
    switch (mode) {
      case 0x04:
        if (a.p1 < 1 || a.p1 > count) return reply(SW.RECORD_NOT_FOUND);
        order = range(a.p1, count);
        break;
      case 0x05:
        if (a.p1 < 1 || a.p1 > count) return reply(SW.RECORD_NOT_FOUND);
        order = range(a.p1, 1);
        break;
      case 0x02:
        if (a.p1 !== 0) return reply(SW.INCORRECT_P1_P2);
        order = ptr >= count ? [] : range(ptr + 1, count);
        break;
      case 0x03:
        if (a.p1 !== 0) return reply(SW.INCORRECT_P1_P2);
        order = ptr === 0 ? range(count, 1) : ptr <= 1 ? [] : range(ptr - 1, 1);
        break;
      default:
        return reply(SW.INCORRECT_P1_P2);
    }
    const found = UimCard.matches(node, order, a.data);
    if (found.length === 0) return reply(SW.END_OF_FILE);
    this.recordPointer = found[0]!;
    return this.offer(Uint8Array.from(found), 'uicc');
  }

  /** GSM SEEK (TS 51.011 §9.2.7): type 1 sets the record pointer, type 2 also returns the record number. */
  private seekGsm(a: CommandApdu): Reply {
    if (a.p1 !== 0) return reply(SW.WRONG_P1_P2);
    const type = a.p2 >> 4;
    const mode = a.p2 & 0x0f;
    if (type > 1 || mode > 3) return reply(SW.WRONG_P1_P2);
    if (!a.hasLc || a.data.length === 0 || a.data.length > 16) return reply(SW.WRONG_LENGTH);
    const node = this.currentEf;
    if (!node) return reply(SW.GSM_NO_EF_SELECTED);
    if (node.file.structure !== 'linear-fixed') return reply(SW.GSM_FILE_INCONSISTENT);
    if (!this.satisfied(node.file.access!.read)) return this.denied('gsm');
    if (a.data.length > recordLength(node.file)) return reply(SW.WRONG_LENGTH);
    const count = recordCount(node.file);
    const ptr = this.recordPointer;
    const order: number[] = [];
    if (mode === 0) for (let i = 1; i <= count; i++) order.push(i);
    if (mode === 1) for (let i = count; i >= 1; i--) order.push(i);
    if (mode === 2) for (let i = ptr + 1; i <= count; i++) order.push(i);
    if (mode === 3) for (let i = (ptr === 0 ? count + 1 : ptr) - 1; i >= 1; i--) order.push(i);
    const found = UimCard.matches(node, order, a.data);
    if (found.length === 0) return reply(SW.GSM_FILE_NOT_FOUND);
    this.recordPointer = found[0]!;
    return type === 0 ? reply(SW.OK) : this.offer(Uint8Array.of(found[0]!), 'gsm');
  }

  /** INCREASE (cyclic EFs): record 1 + value goes into a new record 1; answers the result and the value. */
  private increase(a: CommandApdu, d: Dialect): Reply {
    if (a.p1 !== 0 || a.p2 !== 0) return this.sw(d, SW.WRONG_P1_P2, SW.WRONG_P1_P2);
    if (!a.hasLc || a.data.length !== 3) return reply(SW.WRONG_LENGTH);
    const node = this.currentEf;
    if (!node) return this.sw(d, SW.NO_EF_SELECTED, SW.GSM_NO_EF_SELECTED);
    const f = node.file;
    if (f.structure !== 'cyclic') return this.sw(d, SW.INCOMPATIBLE_FILE_STRUCTURE, SW.GSM_FILE_INCONSISTENT);
    if (!this.satisfied(f.access!.increase)) return this.denied(d);
    const len = recordLength(f);
    const big = (b: Uint8Array): bigint => b.reduce((n, x) => (n << 8n) | BigInt(x), 0n);
    const sum = big(readRecord(f, 1)) + big(a.data);
    if (sum >= 1n << BigInt(8 * len)) return reply(SW.GSM_MAX_VALUE_REACHED);
    const rec = Uint8Array.from({ length: len }, (_, i) =>
      Number((sum >> BigInt(8 * (len - 1 - i))) & 0xffn),
    );
    writeCyclic(f, rec);
    this.recordPointer = 1;
    this.commit();
    return this.offer(concatBytes([rec, a.data]), d);
  }

  // -------------------------------------------------------------------------------------------------------
  // Secret codes: VERIFY, CHANGE, DISABLE, ENABLE, UNBLOCK
  // -------------------------------------------------------------------------------------------------------

  /** Key reference of a code from P2: UICC uses key references; GSM numbers CHVs 1 and 2. */
  private codeFromP2(p2: number, d: Dialect, forUnblock = false): CodeState | undefined {
    let ref = p2;
    if (d === 'gsm') {
      if (p2 === 0x01 || (forUnblock && p2 === 0x00)) ref = CodeRef.PIN1;
      else if (p2 === 0x02) ref = CodeRef.PIN2;
      else if (p2 !== CodeRef.ADM && p2 !== CodeRef.CERTIFICATE) return undefined;
    }
    return this.code(ref);
  }

  private unknownCode(d: Dialect): Reply {
    return this.sw(d, SW.REFERENCED_DATA_NOT_FOUND, SW.WRONG_P1_P2);
  }

  private blocked(d: Dialect): Reply {
    return this.sw(d, SW.AUTH_METHOD_BLOCKED, SW.GSM_CHV_BLOCKED);
  }

  /** A wrong presentation: 63Cx / 6983 (UICC), 9804 / 9840 (GSM). */
  private wrongCode(r: RetryCode, d: Dialect): Reply {
    if (r.remaining === 0) return this.blocked(d);
    return d === 'gsm' ? reply(SW.GSM_ACCESS_CONDITION_NOT_FULFILLED) : reply(sw63C(r.remaining));
  }

  /**
   * Presents `value` against a retry code: decrement and persist first, compare, then restore the counter
   * on a match. Returns whether it matched.
   */
  private present(r: RetryCode, value: Uint8Array): boolean {
    r.remaining -= 1;
    this.commit();
    let diff = value.length ^ r.value.length;
    for (let i = 0; i < r.value.length; i++) diff |= (value[i] ?? 0) ^ r.value[i]!;
    if (diff !== 0) return false;
    r.remaining = r.max;
    this.commit();
    return true;
  }

  private verify(a: CommandApdu, d: Dialect): Reply {
    if (a.p1 !== 0) return this.sw(d, SW.WRONG_P1_P2, SW.WRONG_P1_P2);
    const c = this.codeFromP2(a.p2, d);
    if (!c) return this.unknownCode(d);
    if (!a.hasLc) {
      if (d === 'gsm') return reply(SW.WRONG_LENGTH);
      // Empty VERIFY: the status of the code.
      if (c.code.remaining === 0) return reply(SW.AUTH_METHOD_BLOCKED);
      if (!c.enabled || this.verified.has(c.ref)) return reply(SW.OK);
      return reply(sw63C(c.code.remaining));
    }
    if (a.data.length !== 8 || a.ne !== undefined) return reply(SW.WRONG_LENGTH);
    if (d === 'gsm' && !c.enabled) return reply(SW.GSM_CONTRADICTION_WITH_CHV_STATUS);
    if (c.code.remaining === 0) return this.blocked(d);
    if (!this.present(c.code, a.data)) {
      this.verified.delete(c.ref);
      if (c.ref === CodeRef.CERTIFICATE) this.signatureArmed = false;
      return this.wrongCode(c.code, d);
    }
    this.verified.add(c.ref);
    if (c.ref === CodeRef.CERTIFICATE) this.signatureArmed = true;
    return reply(SW.OK);
  }

  private change(a: CommandApdu, d: Dialect): Reply {
    if (a.p1 !== 0) return this.sw(d, SW.WRONG_P1_P2, SW.WRONG_P1_P2);
    const c = this.codeFromP2(a.p2, d);
    if (!c) return this.unknownCode(d);
    if (a.data.length !== 16 || a.ne !== undefined) return reply(SW.WRONG_LENGTH);
    const fresh = a.data.slice(8);
    if (!decodePinBlock(fresh).ok) return reply(SW.WRONG_DATA);
    if (!c.enabled) return this.sw(d, SW.REFERENCED_DATA_INVALIDATED, SW.GSM_CONTRADICTION_WITH_CHV_STATUS);
    if (c.code.remaining === 0) return this.blocked(d);
    if (!this.present(c.code, a.data.slice(0, 8))) {
      this.verified.delete(c.ref);
      return this.wrongCode(c.code, d);
    }
    c.code.value = fresh;
    this.commit();
    this.verified.add(c.ref);
    return reply(SW.OK);
  }

  private enableDisable(a: CommandApdu, d: Dialect): Reply {
    const enable = a.ins === INS.ENABLE;
    if (a.p1 !== 0) return this.sw(d, SW.WRONG_P1_P2, SW.WRONG_P1_P2);
    // Only PIN1/CHV1 can be disabled (TS 51.011 §9.2.10, TS 102 221 §11.1.11 for the application PIN).
    if (a.p2 !== 0x01) return d === 'gsm' ? reply(SW.WRONG_P1_P2) : this.unknownCode(d);
    const c = this.code(CodeRef.PIN1);
    if (!c) return this.unknownCode(d);
    if (a.data.length !== 8 || a.ne !== undefined) return reply(SW.WRONG_LENGTH);
    if (c.enabled === enable)
      return this.sw(d, SW.CONDITIONS_NOT_SATISFIED, SW.GSM_CONTRADICTION_WITH_CHV_STATUS);
    if (c.code.remaining === 0) return this.blocked(d);
    if (!this.present(c.code, a.data)) return this.wrongCode(c.code, d);
    c.enabled = enable;
    this.commit();
    this.verified.add(c.ref);
    return reply(SW.OK);
  }

  private unblock(a: CommandApdu, d: Dialect): Reply {
    if (a.p1 !== 0) return this.sw(d, SW.WRONG_P1_P2, SW.WRONG_P1_P2);
    const c = this.codeFromP2(a.p2, d, true);
    if (!c || !c.unblock) return this.unknownCode(d);
    const puk = c.unblock;
    if (!a.hasLc) {
      if (d === 'gsm') return reply(SW.WRONG_LENGTH);
      return puk.remaining === 0 ? reply(SW.AUTH_METHOD_BLOCKED) : reply(sw63C(puk.remaining));
    }
    if (a.data.length !== 16 || a.ne !== undefined) return reply(SW.WRONG_LENGTH);
    const fresh = a.data.slice(8);
    if (!decodePinBlock(fresh).ok) return reply(SW.WRONG_DATA);
    // A PUK whose counter reached 0 is blocked for good: no command resets it.
    if (puk.remaining === 0) return this.blocked(d);
    if (!this.present(puk, a.data.slice(0, 8))) return this.wrongCode(puk, d);
    c.code.value = fresh;
    c.code.remaining = c.code.max;
    c.enabled = true;
    this.commit();
    this.verified.add(c.ref);
    if (c.ref === CodeRef.CERTIFICATE) this.signatureArmed = true;
    return reply(SW.OK);
  }

  // -------------------------------------------------------------------------------------------------------
  // Payment application (seed 001) — see payment.ts
  // -------------------------------------------------------------------------------------------------------

  private paymentFile(fid: number): FileNode | undefined {
    return this.tree.get([0x3f00, DF_PAYMENT, fid]);
  }

  /** Preconditions shared by 5A and 5C: DF selected, P1P2 = 0000, data present, CHV1. */
  private paymentPreamble(a: CommandApdu, d: Dialect): Reply | undefined {
    if (!this.state.payment || !this.paymentFile(PaymentFile.USERS)) return reply(SW.INS_NOT_SUPPORTED);
    if (this.currentDf.fid !== DF_PAYMENT || this.currentDf.parent !== this.tree.root) {
      return reply(SW.CONDITIONS_NOT_SATISFIED);
    }
    if (a.p1 !== 0 || a.p2 !== 0) return this.sw(d, SW.INCORRECT_P1_P2, SW.WRONG_P1_P2);
    if (!a.hasLc || a.ne !== undefined) return reply(SW.WRONG_LENGTH);
    if (!this.satisfied('CHV1')) return this.denied(d);
    return undefined;
  }

  /** The user record holding `userId`, 1-based; 0 when none. */
  private findUser(userId: string): number {
    const users = this.paymentFile(PaymentFile.USERS)!.file;
    for (let n = 1; n <= recordCount(users); n++) {
      const u = decodePaymentUser(readRecord(users, n));
      if (u.ok && u.value && u.value.userId === userId) return n;
    }
    return 0;
  }

  /** Checks a password against a user's verifier with the shared retry counter. */
  private checkPaymentPassword(userRecord: number, password: Uint8Array): boolean {
    const p = this.state.payment!;
    p.remaining -= 1;
    this.commit();
    const verifiers = this.paymentFile(PaymentFile.VERIFIERS)!.file;
    // An unknown user id costs an attempt like a wrong password (no oracle for valid ids).
    const matched =
      userRecord >= 1 &&
      userRecord <= recordCount(verifiers) &&
      this.checkWithPrepared(readRecord(verifiers, userRecord), password);
    if (!matched) return false;
    p.remaining = p.max;
    return true;
  }

  private checkWithPrepared(record: Uint8Array, password: Uint8Array): boolean {
    const key = derivationKey(record, password);
    const derived = this.derived.get(key);
    this.derived.delete(key);
    return checkVerifier(record, password, derived);
  }

  private paymentFailure(d: Dialect): Reply {
    const p = this.state.payment!;
    return this.wrongCode({ value: new Uint8Array(8), max: p.max, remaining: p.remaining }, d);
  }

  private verifyPaymentPassword(a: CommandApdu, d: Dialect): Reply {
    const pre = this.paymentPreamble(a, d);
    if (pre) return pre;
    const fields = parsePaymentCommand(a.data);
    if (!fields.ok || !fields.value.password || fields.value.now === undefined) return reply(SW.WRONG_DATA);
    const f = fields.value;
    const p = this.state.payment!;
    if (p.remaining === 0) return this.blocked(d);
    const userRecord = this.findUser(f.userId);
    if (!this.checkPaymentPassword(userRecord, f.password!)) return this.paymentFailure(d);
    // Issue the authentication result; the phone's clock gives the time, the card its sequence and MAC.
    p.sequence = (p.sequence + 1) >>> 0;
    const result: AuthResult = {
      authenticated: true,
      userRecord,
      userId: f.userId,
      issuedAt: f.now!,
      expiresAt: f.now! + (f.validity ?? DEFAULT_AUTH_VALIDITY_S),
      sequence: p.sequence,
    };
    if (p.authKey) {
      const dev = decodeDeviceId(this.paymentFile(PaymentFile.DEVICE_ID)!.file.data!);
      result.mac = authResultMac(p.authKey, dev.ok ? dev.value : '', result);
    }
    this.paymentFile(PaymentFile.AUTH_RESULT)!.file.data = encodeAuthResult(result);
    this.commit();
    return reply(SW.OK);
  }

  private changePaymentPassword(a: CommandApdu, d: Dialect): Reply {
    const pre = this.paymentPreamble(a, d);
    if (pre) return pre;
    const fields = parsePaymentCommand(a.data);
    if (!fields.ok || !fields.value.newPassword) return reply(SW.WRONG_DATA);
    const f = fields.value;
    const p = this.state.payment!;
    const userRecord = this.findUser(f.userId);
    const admin = this.verified.has(CodeRef.ADM) && !f.password;
    if (!admin) {
      if (!f.password) return reply(SW.WRONG_DATA);
      if (p.remaining === 0) return this.blocked(d);
      if (!this.checkPaymentPassword(userRecord, f.password)) return this.paymentFailure(d);
    } else {
      // The provider (ADM) resets a forgotten or blocked password.
      if (userRecord === 0) return reply(SW.REFERENCED_DATA_NOT_FOUND);
      p.remaining = p.max;
    }
    const verifiers = this.paymentFile(PaymentFile.VERIFIERS)!.file;
    const old = readRecord(verifiers, userRecord);
    const iterations = Buffer.from(old).readUInt32BE(16) || 10_000;
    writeRecord(
      verifiers,
      userRecord,
      encodeVerifier(Buffer.from(f.newPassword!).toString('utf8'), this.random(16), iterations),
    );
    this.commit();
    return reply(SW.OK);
  }

  // -------------------------------------------------------------------------------------------------------
  // Certificate application (seed 000) — see certificate.ts
  // -------------------------------------------------------------------------------------------------------

  private certPreamble(d: Dialect): Reply | undefined {
    if (!this.code(CodeRef.CERTIFICATE)) return reply(SW.INS_NOT_SUPPORTED);
    if (this.currentDf.fid !== DF_CERTIFICATE || this.currentDf.parent !== this.tree.root) {
      return reply(SW.CONDITIONS_NOT_SATISFIED);
    }
    if (!this.satisfied('CHV1')) return this.denied(d);
    return undefined;
  }

  private certFile(fid: number): FileNode {
    return this.tree.get([0x3f00, DF_CERTIFICATE, fid])!;
  }

  private generateKeyPair(a: CommandApdu, d: Dialect): Reply {
    const pre = this.certPreamble(d);
    if (pre) return pre;
    if (a.p1 !== 0x00 && a.p1 !== 0x01) return this.wrongP1P2(d);
    const ref = a.p2 === 0 ? 1 : a.p2;
    const slot = keySlotFiles(ref);
    if (!slot) return this.sw(d, SW.REFERENCED_DATA_NOT_FOUND, SW.WRONG_P1_P2);
    if (a.p1 === 0x01) {
      if (a.hasLc) return reply(SW.WRONG_LENGTH);
      const key = this.state.keys.find((k) => k.ref === ref);
      if (!key) return this.sw(d, SW.REFERENCED_DATA_NOT_FOUND, SW.GSM_FILE_NOT_FOUND);
      return this.offer(publicKeyDataObject(key.publicKey), d);
    }
    // Generation replaces a key: it needs the certificate password too.
    if (!this.verified.has(CodeRef.CERTIFICATE)) return this.denied(d);
    let algorithm: KeyAlgorithm = 'ec-p256';
    if (a.hasLc) {
      const tlv = parseBerTlv(a.data);
      if (!tlv.ok) return reply(SW.WRONG_DATA);
      const inner = tlv.value[0]?.tag === 0xac ? parseBerTlv(tlv.value[0].value) : tlv;
      if (!inner.ok) return reply(SW.WRONG_DATA);
      const alg = inner.value.find((t) => t.tag === 0x80)?.value;
      if (!alg || alg.length !== 1) return reply(SW.WRONG_DATA);
      if (alg[0] === KeyAlgorithmId.EC_P256) algorithm = 'ec-p256';
      else if (alg[0] === KeyAlgorithmId.RSA_2048) algorithm = 'rsa-2048';
      else return reply(SW.WRONG_DATA);
    }
    const pair = generateKeyPair(algorithm, this.random, this.rsaKeyGenerator);
    this.state.keys = [...this.state.keys.filter((k) => k.ref !== ref), { ref, algorithm, ...pair }];
    this.state.keys.sort((x, y) => x.ref - y.ref);
    const pub = new Uint8Array(PUBLIC_KEY_FILE_SIZE).fill(0xff);
    pub.set(pair.publicKey);
    this.certFile(slot.publicKey).file.data = pub;
    // The old certificate certified the old key.
    this.certFile(slot.certificate).file.data = new Uint8Array(CERTIFICATE_FILE_SIZE).fill(0xff);
    this.commit();
    return this.offer(publicKeyDataObject(pair.publicKey), d);
  }

  private manageSecurityEnvironment(a: CommandApdu, d: Dialect): Reply {
    const pre = this.certPreamble(d);
    if (pre) return pre;
    if (a.p1 === 0xf3) {
      if (a.hasLc) return reply(SW.WRONG_LENGTH);
      this.security = { keyRef: 1, algorithm: undefined };
      return reply(SW.OK);
    }
    if (a.p1 !== 0x41 || a.p2 !== 0xb6) return this.wrongP1P2(d);
    if (!a.hasLc) return reply(SW.WRONG_LENGTH);
    const tlv = parseBerTlv(a.data);
    if (!tlv.ok) return reply(SW.WRONG_DATA);
    const key = tlv.value.find((t) => t.tag === 0x84)?.value;
    const alg = tlv.value.find((t) => t.tag === 0x80)?.value;
    if (key && (key.length !== 1 || !keySlotFiles(key[0]!))) return reply(SW.REFERENCED_DATA_NOT_FOUND);
    if (alg && (alg.length !== 1 || !Object.values(SignatureAlgorithm).includes(alg[0] as 1 | 2))) {
      return reply(SW.WRONG_DATA);
    }
    this.security = { keyRef: key ? key[0]! : 1, algorithm: alg ? alg[0]! : undefined };
    return reply(SW.OK);
  }

  private performSecurityOperation(a: CommandApdu, d: Dialect): Reply {
    const pre = this.certPreamble(d);
    if (pre) return pre;
    if (a.p1 !== 0x9e || a.p2 !== 0x9a) return this.wrongP1P2(d);
    if (!a.hasLc || a.data.length !== 32) return reply(SW.WRONG_LENGTH);
    if (!this.signatureArmed) return this.denied(d);
    const key = this.state.keys.find((k) => k.ref === this.security.keyRef);
    if (!key) return reply(SW.REFERENCED_DATA_NOT_FOUND);
    const wanted = this.security.algorithm;
    const ec = key.algorithm === 'ec-p256';
    if (
      wanted !== undefined &&
      wanted !== (ec ? SignatureAlgorithm.ECDSA_SHA256 : SignatureAlgorithm.RSA_PKCS1_SHA256)
    ) {
      return reply(SW.CONDITIONS_NOT_SATISFIED);
    }
    // One password presentation, one signature.
    this.signatureArmed = false;
    const signature = ec ? ecdsaSignHash(key.privateKey, a.data) : rsaSignHash(key.privateKey, a.data);
    return this.offer(signature, d);
  }
}

export class CardImageError extends Error {
  constructor(readonly reason: string) {
    super(`card image refused: ${reason}`);
    this.name = 'CardImageError';
  }
}
