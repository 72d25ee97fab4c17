/**
 * A small test card: a SmartCard with a SIM file system just large enough for the host-side tests (ICCID,
 * IMSI, SPN, MSISDN, ADN, EF_DIR, one PIN), answering as a UICC (CLA 00, 61xx + FCP) or as a GSM-only SIM
 * (CLA A0, 9Fxx + GSM response). It is not the emulated UIM (firmware-sim/uim is); it exists so that the
 * host code and the vpcd bridge can be tested on their own, and it can misbehave on purpose (6Cxx on a
 * wrong Le, answers split across GET RESPONSEs).
 */
import type { SmartCard } from '../../../../firmware-sim/uim/card.js';
import {
  SW,
  diallingNumber,
  encodeDiallingNumber,
  encodeDirRecord,
  encodeFcp,
  encodeGsmDfResponse,
  encodeGsmEfResponse,
  encodeIccid,
  encodeImsi,
  encodePinBlock,
  encodeSpn,
  swBytes,
} from '../../../../firmware-sim/uim/codecs.js';
import type { FileStructure } from '../../../../firmware-sim/uim/codecs.js';
import {
  DF_PAYMENT,
  PaymentFile,
  encodeAuthResult,
  encodeDeviceId,
  encodeGatewayUrl,
  encodePaymentUser,
} from '../../../../firmware-sim/uim/payment.js';
import type { AuthResult, PaymentUser } from '../../../../firmware-sim/uim/payment.js';

export interface TestCardProfile {
  mode: 'uicc' | 'gsm';
  iccid: string;
  imsi: string;
  spn: string;
  msisdn: string;
  phoneBook: Array<{ name: string; number: string }>;
  adnRecords: number;
  pin: string;
  pinTries: number;
  /** UICC: an EF_DIR with a USIM application, whose files answer in place of DF_GSM's. */
  usim: boolean;
  /** Largest answer one GET RESPONSE returns (a smaller value makes the host fetch in pieces). */
  maxResponseChunk: number;
  atr: Uint8Array;
  /** A payment DF laid out as the twin's (firmware-sim/uim/payment.ts), behind the PIN. */
  payment?: { deviceId: string; gatewayUrl: string; users: PaymentUser[]; authResult?: AuthResult };
}

export const TEST_CARD_PROFILE: TestCardProfile = {
  mode: 'uicc',
  iccid: '8949440000001234567',
  imsi: '234150999999999',
  spn: 'benchtwin test',
  msisdn: '+447700900123',
  phoneBook: [
    { name: 'Gateway', number: '+441234567890' },
    { name: 'Help', number: '150' },
  ],
  adnRecords: 5,
  pin: '1234',
  pinTries: 3,
  usim: true,
  maxResponseChunk: 256,
  // Direct convention, no interface bytes (T=0 only, so no TCK), historical bytes "TEST".
  atr: Uint8Array.of(0x3b, 0x04, 0x54, 0x45, 0x53, 0x54),
};

export const USIM_AID = Uint8Array.of(0xa0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x02, 0xff, 0x44, 0xff, 0x12, 0x89);
const ADN_RECORD_LENGTH = 30;

interface Node {
  fid: number;
  parent?: Node;
  children?: Node[];
  aid?: Uint8Array;
  structure?: FileStructure;
  data?: Uint8Array;
  records?: Uint8Array[];
  pinProtected?: boolean;
}

export class TestCard implements SmartCard {
  readonly profile: TestCardProfile;
  readonly atr: Uint8Array;
  /** Every command APDU received, in order. */
  readonly commands: Uint8Array[] = [];
  private on = false;
  private readonly mf: Node;
  private current: Node;
  private currentDf: Node;
  private pending: Uint8Array = new Uint8Array(0);
  private verified = false;
  private triesLeft: number;

  constructor(overrides: Partial<TestCardProfile> = {}) {
    this.profile = { ...TEST_CARD_PROFILE, ...overrides };
    this.atr = this.profile.atr;
    this.triesLeft = this.profile.pinTries;
    this.mf = this.buildTree();
    this.current = this.mf;
    this.currentDf = this.mf;
  }

  get powered(): boolean {
    return this.on;
  }

  powerOn(): Uint8Array {
    this.on = true;
    this.resetState();
    return this.atr;
  }

  powerOff(): void {
    this.on = false;
    this.resetState();
  }

  reset(): Uint8Array {
    this.resetState();
    return this.atr;
  }

  /** The PIN tries left (for tests). */
  get pinTriesLeft(): number {
    return this.triesLeft;
  }

  private resetState(): void {
    this.current = this.mf;
    this.currentDf = this.mf;
    this.pending = new Uint8Array(0);
    this.verified = false;
  }

  transmit(command: Uint8Array): Uint8Array {
    this.commands.push(command.slice());
    if (command.length < 4) return swBytes(SW.WRONG_LENGTH);
    const [cla = 0, ins = 0, p1 = 0, p2 = 0] = command;
    const gsm = this.profile.mode === 'gsm';
    if (cla !== (gsm ? 0xa0 : 0x00)) return swBytes(SW.CLA_NOT_SUPPORTED);
    const lc = command.length > 5 ? (command[4] ?? 0) : 0;
    const data = command.subarray(5, 5 + lc);
    const le =
      command.length === 5
        ? (command[4] ?? 0) || 256
        : command.length === 6 + lc
          ? (command[5 + lc] ?? 0) || 256
          : undefined;
    switch (ins) {
      case 0xa4:
        return this.select(p1, p2, data);
      case 0xc0:
        return this.getResponse(le ?? 256);
      case 0xb0:
        return this.readBinary(((p1 & 0x7f) << 8) | p2, le ?? 256);
      case 0xb2:
        return this.readRecord(p1, p2, le);
      case 0x20:
        return this.verify(p2, data);
      default:
        return swBytes(SW.INS_NOT_SUPPORTED);
    }
  }

  private notFound(): Uint8Array {
    return swBytes(this.profile.mode === 'gsm' ? SW.GSM_FILE_NOT_FOUND : SW.FILE_NOT_FOUND);
  }

  private select(p1: number, p2: number, data: Uint8Array): Uint8Array {
    let target: Node | undefined;
    if (p1 === 0x04 && this.profile.mode === 'uicc') {
      target = this.mf.children?.find(
        (c) => c.aid && c.aid.length >= data.length && data.every((b, i) => c.aid?.[i] === b),
      );
    } else if (p1 === 0x00 && data.length === 2) {
      const fid = ((data[0] ?? 0) << 8) | (data[1] ?? 0);
      const df = this.currentDf;
      const candidates = [
        this.mf,
        df,
        ...(df.children ?? []),
        ...(df.parent ? [df.parent, ...(df.parent.children ?? [])] : []),
      ];
      target = candidates.find((n) => n.fid === fid);
    } else {
      return swBytes(SW.INCORRECT_P1_P2);
    }
    if (!target) return this.notFound();
    this.current = target;
    if (!target.structure) this.currentDf = target;
    const answer = this.profile.mode === 'gsm' ? this.gsmResponse(target) : this.fcp(target);
    if (this.profile.mode === 'uicc' && p2 === 0x0c) return swBytes(SW.OK);
    this.pending = answer;
    const n = Math.min(answer.length, this.profile.maxResponseChunk) & 0xff;
    return swBytes((this.profile.mode === 'gsm' ? 0x9f00 : 0x6100) | n);
  }

  private getResponse(le: number): Uint8Array {
    if (this.pending.length === 0)
      return swBytes(this.profile.mode === 'gsm' ? SW.GSM_NO_EF_SELECTED : SW.CONDITIONS_NOT_SATISFIED);
    const available = Math.min(this.pending.length, this.profile.maxResponseChunk);
    if (le !== available && le < this.pending.length) {
      return swBytes((this.profile.mode === 'gsm' ? 0x6700 : 0x6c00) | (available & 0xff));
    }
    const out = this.pending.subarray(0, Math.min(le, this.pending.length));
    this.pending = this.pending.subarray(out.length);
    const rest = Math.min(this.pending.length, this.profile.maxResponseChunk);
    return concat(out, swBytes(rest > 0 ? 0x6100 | (rest & 0xff) : SW.OK));
  }

  private accessDenied(node: Node): boolean {
    return !!node.pinProtected && !this.verified;
  }

  private denied(): Uint8Array {
    return swBytes(
      this.profile.mode === 'gsm' ? SW.GSM_ACCESS_CONDITION_NOT_FULFILLED : SW.SECURITY_STATUS_NOT_SATISFIED,
    );
  }

  private readBinary(offset: number, le: number): Uint8Array {
    const ef = this.current;
    if (ef.structure !== 'transparent' || !ef.data) return swBytes(SW.INCOMPATIBLE_FILE_STRUCTURE);
    if (this.accessDenied(ef)) return this.denied();
    if (offset >= ef.data.length) return swBytes(SW.WRONG_P1_P2);
    const available = ef.data.length - offset;
    if (le > available) {
      // A UICC tells the exact length; a GSM SIM says wrong P3.
      return swBytes(this.profile.mode === 'gsm' ? 0x6700 : 0x6c00 | (available & 0xff));
    }
    return concat(ef.data.subarray(offset, offset + le), swBytes(SW.OK));
  }

  private readRecord(record: number, p2: number, le: number | undefined): Uint8Array {
    const ef = this.current;
    if (!ef.records) return swBytes(SW.INCOMPATIBLE_FILE_STRUCTURE);
    if (p2 !== 0x04) return swBytes(SW.INCORRECT_P1_P2);
    if (this.accessDenied(ef)) return this.denied();
    const data = ef.records[record - 1];
    if (!data) return swBytes(this.profile.mode === 'gsm' ? SW.GSM_OUT_OF_RANGE : SW.RECORD_NOT_FOUND);
    if (le !== data.length) return swBytes((this.profile.mode === 'gsm' ? 0x6700 : 0x6c00) | data.length);
    return concat(data, swBytes(SW.OK));
  }

  private verify(p2: number, data: Uint8Array): Uint8Array {
    const gsm = this.profile.mode === 'gsm';
    if (p2 !== 0x01) return swBytes(gsm ? SW.GSM_NO_CHV_INITIALIZED : SW.REFERENCED_DATA_NOT_FOUND);
    if (data.length === 0) {
      if (gsm) return swBytes(SW.WRONG_LENGTH);
      if (this.verified) return swBytes(SW.OK);
      return swBytes(this.triesLeft === 0 ? SW.AUTH_METHOD_BLOCKED : 0x63c0 | this.triesLeft);
    }
    if (this.triesLeft === 0) return swBytes(gsm ? SW.GSM_CHV_BLOCKED : SW.AUTH_METHOD_BLOCKED);
    const good = encodePinBlock(this.profile.pin);
    if (data.length === good.length && data.every((b, i) => b === good[i])) {
      this.triesLeft = this.profile.pinTries;
      this.verified = true;
      return swBytes(SW.OK);
    }
    this.triesLeft--;
    this.verified = false;
    if (gsm)
      return swBytes(this.triesLeft === 0 ? SW.GSM_CHV_BLOCKED : SW.GSM_ACCESS_CONDITION_NOT_FULFILLED);
    return swBytes(this.triesLeft === 0 ? SW.AUTH_METHOD_BLOCKED : 0x63c0 | this.triesLeft);
  }

  private fcp(node: Node): Uint8Array {
    if (!node.structure) {
      return encodeFcp({
        fileType: 'df',
        shareable: true,
        fileId: node.fid,
        ...(node.aid ? { dfName: node.aid } : {}),
        pinStatus: [{ keyReference: 0x01, enabled: true }],
      });
    }
    if (node.records) {
      const length = node.records[0]?.length ?? 0;
      return encodeFcp({
        fileType: 'ef',
        shareable: true,
        structure: 'linear-fixed',
        recordLength: length,
        recordCount: node.records.length,
        fileId: node.fid,
        fileSize: length * node.records.length,
      });
    }
    return encodeFcp({
      fileType: 'ef',
      shareable: true,
      structure: 'transparent',
      fileId: node.fid,
      fileSize: node.data?.length ?? 0,
    });
  }

  private gsmResponse(node: Node): Uint8Array {
    const access = {
      read: node.pinProtected ? ('CHV1' as const) : ('ALW' as const),
      update: 'ADM' as const,
      increase: 'NEV' as const,
      invalidate: 'ADM' as const,
      rehabilitate: 'ADM' as const,
    };
    if (!node.structure) {
      const status = { initialised: true, remaining: this.triesLeft };
      return encodeGsmDfResponse({
        kind: node === this.mf ? 'mf' : 'df',
        fileId: node.fid,
        freeMemory: 0,
        characteristics: 0x00,
        dfCount: (node.children ?? []).filter((c) => !c.structure).length,
        efCount: (node.children ?? []).filter((c) => c.structure).length,
        codeCount: 4,
        chv1: status,
        unblockChv1: { initialised: true, remaining: 10 },
        chv2: { initialised: false, remaining: 0 },
        unblockChv2: { initialised: false, remaining: 0 },
      });
    }
    const recordLength = node.records?.[0]?.length ?? 0;
    return encodeGsmEfResponse({
      kind: 'ef',
      fileId: node.fid,
      fileSize: node.records ? recordLength * node.records.length : (node.data?.length ?? 0),
      structure: node.records ? 'linear-fixed' : 'transparent',
      recordLength,
      access,
      invalidated: false,
      readableWhenInvalidated: false,
      increaseAllowed: false,
    });
  }

  private buildTree(): Node {
    const p = this.profile;
    const mf: Node = { fid: 0x3f00, children: [] };
    const add = (parent: Node, node: Node): Node => {
      node.parent = parent;
      parent.children?.push(node);
      return node;
    };
    add(mf, { fid: 0x2fe2, structure: 'transparent', data: encodeIccid(p.iccid) });
    const msisdn = (): Node => ({
      fid: 0x6f40,
      structure: 'linear-fixed',
      records: [encodeDiallingNumber(diallingNumber('Own', p.msisdn), 28)],
      pinProtected: true,
    });
    const subscriber = (df: Node): void => {
      add(df, { fid: 0x6f07, structure: 'transparent', data: encodeImsi(p.imsi), pinProtected: true });
      add(df, {
        fid: 0x6f46,
        structure: 'transparent',
        data: encodeSpn({ displayCondition: 0x01, name: p.spn }),
      });
    };
    const telecom = add(mf, { fid: 0x7f10, children: [] });
    const adn: Uint8Array[] = [];
    for (let i = 0; i < p.adnRecords; i++) {
      const e = p.phoneBook[i];
      adn.push(
        e
          ? encodeDiallingNumber(diallingNumber(e.name, e.number), ADN_RECORD_LENGTH)
          : new Uint8Array(ADN_RECORD_LENGTH).fill(0xff),
      );
    }
    add(telecom, { fid: 0x6f3a, structure: 'linear-fixed', records: adn, pinProtected: true });
    add(telecom, msisdn());
    subscriber(add(mf, { fid: 0x7f20, children: [] }));
    if (p.mode === 'uicc' && p.usim) {
      add(mf, {
        fid: 0x2f00,
        structure: 'linear-fixed',
        records: [encodeDirRecord({ aid: USIM_AID, label: 'USIM' }, 32)],
      });
      const adf = add(mf, { fid: 0x7fff, aid: USIM_AID, children: [] });
      subscriber(adf);
      add(adf, msisdn());
    }
    if (p.payment) {
      const pay = add(mf, { fid: DF_PAYMENT, children: [] });
      const users = [...p.payment.users.map(encodePaymentUser)];
      while (users.length < 3) users.push(new Uint8Array(32).fill(0xff));
      const auth = p.payment.authResult
        ? encodeAuthResult(p.payment.authResult)
        : new Uint8Array(70).fill(0xff);
      add(pay, {
        fid: PaymentFile.DEVICE_ID,
        structure: 'transparent',
        data: encodeDeviceId(p.payment.deviceId),
        pinProtected: true,
      });
      add(pay, {
        fid: PaymentFile.GATEWAY_URL,
        structure: 'transparent',
        data: encodeGatewayUrl(p.payment.gatewayUrl),
        pinProtected: true,
      });
      add(pay, { fid: PaymentFile.USERS, structure: 'linear-fixed', records: users, pinProtected: true });
      add(pay, { fid: PaymentFile.AUTH_RESULT, structure: 'transparent', data: auth, pinProtected: true });
    }
    return mf;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
