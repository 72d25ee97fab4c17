/**
 * Wireshark's iso8583 dissector as the independent peer of the ISO 8583 codec: tshark reads a capture with
 * the credit link's port decoded as ISO 8583 (big-endian length prefix, docs/ISO8583.md) and IP/TCP
 * checksums verified, and returns each message as the dissector saw it with every problem it flagged.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parsePdml, rawBytes, tsharkProblems, type PdmlNode } from './hid-oracle.js';

const run = promisify(execFile);

export interface DissectedIso8583 {
  frame: number;
  mti: string;
  bitmap1: string;
  bitmap2?: string;
  fields: Record<number, string>;
}

export interface Iso8583Dissection {
  messages: DissectedIso8583[];
  problems: string[];
  pdml: PdmlNode;
}

export function tsharkIso8583Args(file: string, port: number): string[] {
  return [
    '-r',
    file,
    '-d',
    `tcp.port==${port},iso8583`,
    '-o',
    'iso8583.len_endian:bigendian',
    '-o',
    'ip.check_checksum:TRUE',
    '-o',
    'tcp.check_checksum:TRUE',
  ];
}

export async function tsharkIso8583(file: string, port: number): Promise<Iso8583Dissection> {
  const { stdout } = await run('tshark', [...tsharkIso8583Args(file, port), '-T', 'pdml'], {
    maxBuffer: 64 * 1024 * 1024,
  });
  const pdml = parsePdml(stdout);
  const messages: DissectedIso8583[] = [];
  const text = (n: PdmlNode): string => Buffer.from(rawBytes(n)).toString('latin1');
  for (const packet of pdml.children.flatMap((c) => (c.tag === 'pdml' ? c.children : [c]))) {
    if (packet.tag !== 'packet') continue;
    const frameProto = packet.children.find((c) => c.attrs.name === 'frame');
    const frame = Number(frameProto?.children.find((c) => c.attrs.name === 'frame.number')?.attrs.show ?? 0);
    for (const proto of packet.children.filter((c) => c.tag === 'proto' && c.attrs.name === 'iso8583')) {
      const m: DissectedIso8583 = { frame, mti: '', bitmap1: '', fields: {} };
      for (const f of proto.children) {
        const name = f.attrs.name ?? '';
        if (name === 'iso8583.mti') m.mti = text(f);
        else if (name === 'iso8583.map1') m.bitmap1 = f.attrs.show ?? '';
        else if (name === 'iso8583.map2') m.bitmap2 = f.attrs.show ?? '';
        else if (/^iso8583\.bit\d+$/.test(name)) m.fields[Number(name.slice(11))] = text(f);
      }
      messages.push(m);
    }
  }
  return { messages, problems: tsharkProblems(pdml), pdml };
}
