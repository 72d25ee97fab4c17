import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  BLOCK_TYPE_EPB,
  BLOCK_TYPE_IDB,
  BLOCK_TYPE_SHB,
  BYTE_ORDER_MAGIC,
  LINKTYPE_USER0,
  PcapngWriter,
  enhancedPacketBlock,
  interfaceDescriptionBlock,
  sectionHeaderBlock,
} from '../../../devices/capture/pcapng.js';
import { readOptions, walkBlocks } from './blocks.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchtwin-pcapng-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('pcapng blocks', () => {
  it('section header: type, byte-order magic, version 1.0, unspecified section length', () => {
    const [shb] = walkBlocks(sectionHeaderBlock({ userAppl: 'benchtwin' }));
    expect(shb!.type).toBe(BLOCK_TYPE_SHB);
    expect(shb!.body.readUInt32LE(0)).toBe(BYTE_ORDER_MAGIC);
    expect([shb!.body.readUInt16LE(4), shb!.body.readUInt16LE(6)]).toEqual([1, 0]);
    expect(shb!.body.readBigInt64LE(8)).toBe(-1n);
    expect(readOptions(shb!.body.subarray(16))).toEqual([[4, Buffer.from('benchtwin')]]);
  });

  it('interface description: link type, snap length, if_name, if_description, if_tsresol', () => {
    const [idb] = walkBlocks(
      interfaceDescriptionBlock({ linkType: LINKTYPE_USER0, name: 'benchtwin-x', description: 'serial' }),
    );
    expect(idb!.type).toBe(BLOCK_TYPE_IDB);
    expect(idb!.body.readUInt16LE(0)).toBe(147);
    expect(idb!.body.readUInt32LE(4)).toBe(0);
    expect(readOptions(idb!.body.subarray(8))).toEqual([
      [2, Buffer.from('benchtwin-x')],
      [3, Buffer.from('serial')],
      [9, Buffer.from([6])],
    ]);
  });

  it('enhanced packet: split 64-bit timestamp, lengths, padded data, epb_flags direction', () => {
    const ts = 0x0001_2345_6789_abcdn;
    const [epb] = walkBlocks(
      enhancedPacketBlock({
        interfaceId: 2,
        timestamp: ts,
        data: Buffer.from([1, 2, 3]),
        direction: 'outbound',
      }),
    );
    expect(epb!.type).toBe(BLOCK_TYPE_EPB);
    expect(epb!.body.readUInt32LE(0)).toBe(2);
    expect(epb!.body.readUInt32LE(4)).toBe(0x0001_2345);
    expect(epb!.body.readUInt32LE(8)).toBe(0x6789_abcd);
    expect([epb!.body.readUInt32LE(12), epb!.body.readUInt32LE(16)]).toEqual([3, 3]);
    expect(epb!.body.subarray(20, 24)).toEqual(Buffer.from([1, 2, 3, 0]));
    expect(readOptions(epb!.body.subarray(24))).toEqual([[2, Buffer.from([2, 0, 0, 0])]]);
  });

  it('for arbitrary payloads and comments, every block is 32-bit aligned with matching lengths', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
        fc.option(fc.constantFrom('inbound' as const, 'outbound' as const), { nil: undefined }),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        (data, comment, direction, timestamp) => {
          const bytes = Buffer.concat([
            sectionHeaderBlock({ ...(comment !== undefined ? { hardware: comment } : {}) }),
            interfaceDescriptionBlock({
              linkType: LINKTYPE_USER0,
              ...(comment !== undefined ? { name: comment } : {}),
            }),
            enhancedPacketBlock({
              interfaceId: 0,
              timestamp,
              data,
              ...(direction ? { direction } : {}),
              ...(comment !== undefined ? { comment } : {}),
            }),
          ]);
          const blocks = walkBlocks(bytes);
          expect(blocks.map((b) => b.type)).toEqual([BLOCK_TYPE_SHB, BLOCK_TYPE_IDB, BLOCK_TYPE_EPB]);
          for (const b of blocks) {
            expect(b.totalLength % 4).toBe(0);
            expect(b.trailingLength).toBe(b.totalLength);
          }
          const epb = blocks[2]!.body;
          expect(epb.readUInt32LE(12)).toBe(data.length);
          expect(epb.subarray(20, 20 + data.length)).toEqual(Buffer.from(data));
          const high = BigInt(epb.readUInt32LE(4));
          expect((high << 32n) | BigInt(epb.readUInt32LE(8))).toBe(timestamp);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('PcapngWriter', () => {
  it('appends synchronously: packets are in the file before close', () => {
    const file = path.join(dir, 'w.pcapng');
    const w = new PcapngWriter(file);
    const id = w.addInterface({ linkType: LINKTYPE_USER0 });
    w.writePacket({ interfaceId: id, timestamp: 1n, data: Buffer.from('abc'), direction: 'inbound' });
    expect(walkBlocks(fs.readFileSync(file)).map((b) => b.type)).toEqual([
      BLOCK_TYPE_SHB,
      BLOCK_TYPE_IDB,
      BLOCK_TYPE_EPB,
    ]);
    w.close();
    w.close();
    expect(() => w.writePacket({ interfaceId: id, timestamp: 2n, data: Buffer.alloc(1) })).toThrow(/closed/);
  });

  it('refuses packets of an undescribed interface', () => {
    const w = new PcapngWriter(path.join(dir, 'x.pcapng'));
    expect(() => w.writePacket({ interfaceId: 0, timestamp: 0n, data: Buffer.alloc(1) })).toThrow(
      /interface 0/,
    );
    w.close();
  });
});
