/**
 * The card's file tree over the flat file list of the state: navigation by the selection rules of
 * TS 102 221 §8.4.1 / TS 51.011 §6.5, record access, and the two kinds of answer to SELECT (GSM 15/22
 * bytes, UICC FCP template).
 */
import type { Fcp, PinStatus } from './codecs.js';
import {
  efSecurityRules,
  encodeFcp,
  encodeGsmDfResponse,
  encodeGsmEfResponse,
  KeyReference,
} from './codecs.js';
import type { CardState, CodeState, FileState } from './state.js';
import { CodeRef } from './state.js';

export interface FileNode {
  file: FileState;
  parent: FileNode | undefined;
  children: FileNode[];
  fid: number;
}

export const isDf = (n: FileNode): boolean => n.file.type !== 'ef';

export class FileTree {
  readonly root: FileNode;
  private readonly byPath = new Map<string, FileNode>();

  constructor(files: FileState[]) {
    let root: FileNode | undefined;
    for (const file of files) {
      const parent = file.path.length > 1 ? this.byPath.get(file.path.slice(0, -1).join('/')) : undefined;
      const node: FileNode = { file, parent, children: [], fid: file.path[file.path.length - 1]! };
      parent?.children.push(node);
      if (!root) root = node;
      this.byPath.set(file.path.join('/'), node);
    }
    if (!root) throw new Error('a card has at least an MF');
    this.root = root;
  }

  get(path: readonly number[]): FileNode | undefined {
    return this.byPath.get(path.join('/'));
  }

  all(): FileNode[] {
    return [...this.byPath.values()];
  }

  /** ADFs and proprietary DFs whose DF name starts with `aid` (right-truncated AIDs allowed, ≥ 5 bytes). */
  findByAid(aid: Uint8Array): FileNode | undefined {
    if (aid.length < 5 || aid.length > 16) return undefined;
    return this.all().find((n) => {
      const name = n.file.aid;
      return !!name && name.length >= aid.length && aid.every((b, i) => name[i] === b);
    });
  }
}

/**
 * SELECT by file id from the current DF: the MF, the current DF, a child of the current DF, its parent,
 * or a DF that is a child of the parent. ADFs are only reachable by DF name (or 7FFF) and `hideAdf`
 * hides them from GSM-class commands altogether.
 */
export function selectByFid(
  tree: FileTree,
  current: FileNode,
  fid: number,
  hideAdf: boolean,
): FileNode | undefined {
  if (fid === 0x3f00) return tree.root;
  const reachable = (n: FileNode | undefined): n is FileNode =>
    !!n && n.fid === fid && n.file.type !== 'adf' && n.file.type !== 'mf';
  if (current.fid === fid && (current.file.type !== 'adf' || !hideAdf)) return current;
  const child = current.children.find(reachable);
  if (child) return child;
  const parent = current.parent;
  if (parent && parent.fid === fid && (parent.file.type !== 'adf' || !hideAdf)) return parent;
  return parent?.children.find((n) => isDf(n) && reachable(n));
}

/** A child by fid (for paths): DFs and EFs, ADFs excluded. */
export function childByFid(node: FileNode, fid: number): FileNode | undefined {
  return node.children.find((n) => n.fid === fid && n.file.type !== 'adf');
}

/** The EF with short file identifier `sfi` in `df`. */
export function childBySfi(df: FileNode, sfi: number): FileNode | undefined {
  return df.children.find((n) => n.file.type === 'ef' && n.file.sfi === sfi);
}

export const recordCount = (f: FileState): number => f.recordCount ?? 0;
export const recordLength = (f: FileState): number => f.recordLength ?? 0;

export function readRecord(f: FileState, n: number): Uint8Array {
  const len = recordLength(f);
  return f.data!.slice((n - 1) * len, n * len);
}

export function writeRecord(f: FileState, n: number, rec: Uint8Array): void {
  f.data!.set(rec, (n - 1) * recordLength(f));
}

/** Cyclic EF: `rec` goes into the oldest record, which becomes record 1 (TS 102 221 §8.2.3). */
export function writeCyclic(f: FileState, rec: Uint8Array): void {
  const len = recordLength(f);
  const data = f.data!;
  const shifted = new Uint8Array(data.length);
  shifted.set(rec, 0);
  shifted.set(data.subarray(0, data.length - len), len);
  f.data = shifted;
}

export const fileSize = (f: FileState): number => f.data?.length ?? 0;

function codeByRef(state: CardState, ref: number): CodeState | undefined {
  return state.codes.find((c) => c.ref === ref);
}

/** GSM answer to SELECT of an MF/DF (22 bytes) or an EF (15 bytes), TS 51.011 §9.2.1. */
export function gsmSelectResponse(state: CardState, node: FileNode): Uint8Array {
  const f = node.file;
  if (f.type === 'ef') {
    return encodeGsmEfResponse({
      kind: 'ef',
      fileId: node.fid,
      fileSize: fileSize(f),
      structure: f.structure!,
      recordLength: recordLength(f),
      access: {
        read: f.access!.read,
        update: f.access!.update,
        increase: f.access!.increase,
        invalidate: 'ADM',
        rehabilitate: 'ADM',
      },
      invalidated: false,
      readableWhenInvalidated: false,
      increaseAllowed: f.structure === 'cyclic' && f.access!.increase !== 'NEV',
    });
  }
  const status = (c: { max: number; remaining: number } | undefined) => ({
    initialised: !!c,
    remaining: c?.remaining ?? 0,
  });
  const chv1 = codeByRef(state, CodeRef.PIN1);
  const chv2 = codeByRef(state, CodeRef.PIN2);
  const visible = node.children.filter((n) => n.file.type !== 'adf');
  return encodeGsmDfResponse({
    kind: f.type === 'mf' ? 'mf' : 'df',
    fileId: node.fid,
    freeMemory: 0,
    // b1 clock stop allowed, b5/b6 5 V and 3 V; b8 set when CHV1 is disabled.
    characteristics: 0x31 | (chv1 && !chv1.enabled ? 0x80 : 0),
    dfCount: visible.filter(isDf).length,
    efCount: visible.filter((n) => !isDf(n)).length,
    codeCount: 4 + (codeByRef(state, CodeRef.ADM) ? 1 : 0),
    chv1: status(chv1?.code),
    unblockChv1: status(chv1?.unblock),
    chv2: status(chv2?.code),
    unblockChv2: status(chv2?.unblock),
  });
}

/** UICC FCP template of a file (TS 102 221 §11.1.1.3). */
export function uiccFcp(state: CardState, node: FileNode): Uint8Array {
  const f = node.file;
  if (f.type === 'ef') {
    const fcp: Fcp = {
      fileType: 'ef',
      shareable: true,
      structure: f.structure!,
      fileId: node.fid,
      lifeCycle: 0x05,
      securityRules: efSecurityRules(f.access!.read, f.access!.update),
      fileSize: fileSize(f),
      sfi: f.sfi ?? null,
    };
    if (f.structure !== 'transparent') {
      fcp.recordLength = recordLength(f);
      fcp.recordCount = recordCount(f);
    }
    return encodeFcp(fcp);
  }
  const pins: PinStatus[] = [];
  const pin1 = codeByRef(state, CodeRef.PIN1);
  if (pin1) pins.push({ keyReference: KeyReference.PIN_APPL_1, enabled: pin1.enabled });
  if (codeByRef(state, CodeRef.PIN2))
    pins.push({ keyReference: KeyReference.SECOND_PIN_APPL_1, enabled: true });
  if (codeByRef(state, CodeRef.ADM)) pins.push({ keyReference: KeyReference.ADM1, enabled: true });
  if (node.file.name === 'DF_CERTIFICATE' && codeByRef(state, CodeRef.CERTIFICATE)) {
    pins.push({ keyReference: CodeRef.CERTIFICATE, enabled: true });
  }
  const fcp: Fcp = {
    fileType: 'df',
    shareable: true,
    fileId: node.fid,
    lifeCycle: 0x05,
    // Every DF operation (create, delete, activate, terminate…) needs ADM.
    securityRules: [{ accessMode: 0x7f, condition: { keyReference: KeyReference.ADM1 } }],
    pinStatus: pins,
  };
  if (f.aid) fcp.dfName = f.aid;
  // UICC characteristics (TS 102 221 §11.1.1.4.6.1): clock stop allowed, 3 V and 1.8 V classes.
  if (f.type === 'mf' || f.type === 'adf') fcp.proprietary = Uint8Array.of(0x80, 0x01, 0x71);
  return encodeFcp(fcp);
}
