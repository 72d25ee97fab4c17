/**
 * Table-driven little-endian field layouts, so that one description serves encoding and decoding of
 * every fixed-layout HCI command and event parameter block.
 */
export type FieldKind = 'u8' | 'i8' | 'u16' | 'addr' | { bytes: number };
export type FieldValue<K> = K extends 'addr' ? string : K extends { bytes: number } ? Buffer : number;
export type Layout = readonly (readonly [string, FieldKind])[];
export type Struct<L extends Layout> = { -readonly [E in L[number] as E[0]]: FieldValue<E[1]> };

export function kindSize(kind: FieldKind): number {
  if (kind === 'u8' || kind === 'i8') return 1;
  if (kind === 'u16') return 2;
  if (kind === 'addr') return 6;
  return kind.bytes;
}

export function layoutSize(layout: Layout): number {
  return layout.reduce((n, [, k]) => n + kindSize(k), 0);
}

/** BD_ADDR goes on the wire least significant octet first; we write it most significant first. */
export function addressToString(bytes: Uint8Array): string {
  return Array.from(bytes)
    .reverse()
    .map((b) => b.toString(16).padStart(2, '0'))
    .join(':');
}

const ADDRESS = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

export function addressToBytes(address: string): Buffer {
  if (!ADDRESS.test(address)) throw new RangeError(`not a BD_ADDR: ${address}`);
  return Buffer.from(address.split(':').reverse().join(''), 'hex');
}

export function isAddress(address: string): boolean {
  return ADDRESS.test(address);
}

/** Decodes exactly `layout` from `bytes` at `at`; the caller has checked the length. */
export function readLayout<L extends Layout>(layout: L, bytes: Buffer, at = 0): Struct<L> {
  const out: Record<string, unknown> = {};
  for (const [name, kind] of layout) {
    if (kind === 'u8') out[name] = bytes.readUInt8(at);
    else if (kind === 'i8') out[name] = bytes.readInt8(at);
    else if (kind === 'u16') out[name] = bytes.readUInt16LE(at);
    else if (kind === 'addr') out[name] = addressToString(bytes.subarray(at, at + 6));
    else out[name] = Buffer.from(bytes.subarray(at, at + kind.bytes));
    at += kindSize(kind);
  }
  return out as Struct<L>;
}

/** Encodes `value` with `layout`; throws RangeError on a value that does not fit (a caller's bug). */
export function writeLayout<L extends Layout>(layout: L, value: Struct<L>): Buffer {
  const out = Buffer.alloc(layoutSize(layout));
  const v = value as Record<string, unknown>;
  let at = 0;
  for (const [name, kind] of layout) {
    const field = v[name];
    if (kind === 'u8') out.writeUInt8(field as number, at);
    else if (kind === 'i8') out.writeInt8(field as number, at);
    else if (kind === 'u16') out.writeUInt16LE(field as number, at);
    else if (kind === 'addr') addressToBytes(field as string).copy(out, at);
    else {
      const b = field as Buffer;
      if (b.length !== kind.bytes)
        throw new RangeError(`${name}: expected ${kind.bytes} octets, got ${b.length}`);
      b.copy(out, at);
    }
    at += kindSize(kind);
  }
  return out;
}
