import fs from 'node:fs';
import net from 'node:net';
import tty from 'node:tty';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../firmware-sim/clock.js';
import { Air } from '../../../devices/ble/air.js';
import { VirtualController } from '../../../devices/ble/controller.js';
import { H4Deframer, exportH4OverPty, exportH4OverTcp } from '../../../devices/ble/h4-export.js';
import { encodeCommand } from '../../../devices/ble/hci/packets.js';

const h = (s: string) => Buffer.from(s.replace(/\s/g, ''), 'hex');

function controller() {
  const air = new Air({ clock: new VirtualClock() });
  return new VirtualController({ air, address: 'e4:00:00:00:00:01' });
}

/** Read from a stream until `n` octets have arrived. */
function readOctets(stream: NodeJS.ReadableStream, n: number): Promise<Buffer> {
  return new Promise((resolve) => {
    let got = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (got.length >= n) {
        stream.removeListener('data', onData);
        resolve(got);
      }
    };
    stream.on('data', onData);
  });
}

describe('H4 stream deframing (Vol 4 Part A)', () => {
  it('splits concatenated packets however the stream is chunked', () => {
    const packets = [encodeCommand({ name: 'Reset' }), h('040e0401030c00'), h('0240200700030004000a0c00')];
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 10 }), (cuts) => {
        const stream = Buffer.concat(packets);
        const d = new H4Deframer();
        const out: Buffer[] = [];
        let at = 0;
        for (const c of cuts) {
          out.push(...d.push(stream.subarray(at, at + c)));
          at += c;
        }
        out.push(...d.push(stream.subarray(at)));
        expect(out).toEqual(packets);
      }),
    );
  });

  it('drops octets that are not a packet indicator and resynchronises', () => {
    const d = new H4Deframer();
    expect(d.push(Buffer.concat([h('ff 00'), encodeCommand({ name: 'Reset' })]))).toEqual([h('01030c00')]);
    expect(d.dropped).toBe(2);
  });

  it('never throws on arbitrary octets', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (b) => void new H4Deframer().push(b)));
  });
});

describe('H4 export of a virtual controller', () => {
  it('over TCP: a host in another connection sends HCI_Reset and reads Command Complete', async () => {
    const exp = await exportH4OverTcp(controller());
    const socket = net.connect(exp.port, '127.0.0.1');
    try {
      await new Promise((r) => socket.once('connect', r));
      const reply = readOctets(socket, 7);
      socket.write(h('01 03'));
      socket.write(h('0c 00'));
      expect(await reply).toEqual(h('040e0401030c00'));
    } finally {
      socket.destroy();
      await exp.close();
    }
  });

  it('over a PTY: a host opening the slave path sends Read BD_ADDR and reads the address', async () => {
    const exp = exportH4OverPty(controller());
    const fd = fs.openSync(exp.endpoint, fs.constants.O_RDWR | fs.constants.O_NOCTTY);
    const host = new tty.ReadStream(fd);
    host.setRawMode(true);
    try {
      const reply = readOctets(host, 13);
      fs.writeSync(fd, h('01091000'));
      expect(await reply).toEqual(h('040e0a01091000 01000000 00e4'));
    } finally {
      host.destroy();
      await exp.close();
    }
  });
});
