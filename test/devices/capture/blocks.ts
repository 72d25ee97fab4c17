/** A minimal, independent pcapng block walker for the tests (little-endian sections only). */
export interface RawBlock {
  type: number;
  totalLength: number;
  trailingLength: number;
  body: Buffer;
}

export function walkBlocks(file: Buffer): RawBlock[] {
  const blocks: RawBlock[] = [];
  for (let at = 0; at < file.length;) {
    const type = file.readUInt32LE(at);
    const totalLength = file.readUInt32LE(at + 4);
    if (totalLength < 12 || at + totalLength > file.length) throw new Error(`bad block length at ${at}`);
    blocks.push({
      type,
      totalLength,
      trailingLength: file.readUInt32LE(at + totalLength - 4),
      body: file.subarray(at + 8, at + totalLength - 4),
    });
    at += totalLength;
  }
  return blocks;
}

/** Options as [code, value] pairs, up to opt_endofopt. */
export function readOptions(buf: Buffer): [number, Buffer][] {
  const out: [number, Buffer][] = [];
  for (let at = 0; at + 4 <= buf.length;) {
    const code = buf.readUInt16LE(at);
    const len = buf.readUInt16LE(at + 2);
    if (code === 0) break;
    out.push([code, buf.subarray(at + 4, at + 4 + len)]);
    at += 4 + ((len + 3) & ~3);
  }
  return out;
}
