/**
 * IrDA captures in the Linux IrDA link type (144), dissected by tshark's `irda` dissector as an
 * independent peer: IrLAP discovery and connection, IrLMP, IAS and OBEX over Tiny TP must all decode,
 * with no malformed packets.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../firmware-sim/clock.js';
import { IrdaCapture, linuxIrdaPacket } from '../../../devices/capture/irda-capture.js';
import { IrdaEndpoint } from '../../../devices/ir/endpoint.js';
import { hasTshark } from '../../oracles.js';
import { VirtualIrLine, runUntil } from '../ir/link.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchtwin-irda-cap-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A full session (discovery, IAS, Tiny TP, OBEX Put and Get, disconnect) captured at the terminal. */
async function captureSession(file: string, faults = {}): Promise<void> {
  const clock = new VirtualClock();
  const capture = new IrdaCapture({ file, clock });
  const ends = {} as { host: IrdaEndpoint; phone: IrdaEndpoint };
  const toPhone = new VirtualIrLine(clock, (b) => ends.phone.receive(b), 1, faults);
  const toHost = new VirtualIrLine(clock, (b) => ends.host.receive(b), 2, faults);
  ends.phone = new IrdaEndpoint({
    clock,
    nickname: 'Phone-0001',
    seed: 3,
    transmit: toHost.write,
    obexServer: {},
  });
  ends.host = new IrdaEndpoint({
    clock,
    nickname: 'Terminal',
    seed: 4,
    transmit: toPhone.write,
    onFrame: capture.sink('terminal'),
    onObexPacket: capture.obexSink('terminal'),
  });
  const found = await runUntil(clock, ends.host.discover({ nickname: 'Phone-0001' }));
  await runUntil(clock, ends.host.connect(found[0]!));
  const obex = await runUntil(clock, ends.host.openObex());
  await runUntil(
    clock,
    obex.client.put('history.txt', Buffer.from('2026-11-21 12.30 EUR\n'.repeat(100)), { type: 'text/plain' }),
  );
  await runUntil(clock, obex.client.get({ name: 'history.txt' }));
  await runUntil(clock, obex.close());
  await runUntil(clock, ends.host.disconnect());
  capture.close();
}

describe('Linux IrDA pseudo-header (tcpdump.org LINKTYPE_LINUX_IRDA)', () => {
  it('packet type 4 for sent, 0 for received; protocol 0x0017 at offset 14; then the frame', () => {
    const p = linuxIrdaPacket(Uint8Array.from([0x85, 0x11]), true);
    expect(Buffer.from(p).toString('hex')).toBe(
      '0004' + '030f' + '0000' + '0000000000000000' + '0017' + '8511',
    );
    expect(linuxIrdaPacket(Uint8Array.from([0x84, 0x11]), false)[1]).toBe(0);
  });
});

describe.skipIf(!hasTshark)(
  `tshark irda dissector as a peer${hasTshark ? '' : ' (skipped: tshark not installed)'}`,
  () => {
    it('decodes XID, SNRM/UA, I frames, IrLMP and IAS, and OBEX in the Upper PDU interface, with no malformed packets', async () => {
      const file = path.join(dir, 'session.pcapng');
      await captureSession(file);
      const r = spawnSync('tshark', ['-r', file, '-V'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      expect(r.status).toBe(0);
      const text = r.stdout;
      expect(text).not.toMatch(/Malformed|Exception occurred/);
      expect(text).toMatch(/IrDA Link Access Protocol/);
      expect(text).toMatch(/XID/);
      expect(text).toMatch(/SNRM/);
      expect(text).toMatch(/Negotiation Parameter: Baud Rate \(9600, 19200, 38400, 57600, 115200 bps\)/);
      expect(text).toMatch(/Negotiation Parameter: Window Size \(1, 2, 3, 4, 5, 6, 7 frame window\)/);
      expect(text).toMatch(/Phone-0001/);
      expect(text).toMatch(/IrDA Link Management Protocol/);
      expect(text).toMatch(/Information Access Protocol/);
      expect(text).toMatch(/IrDA:TinyTP:LsapSel/);
      expect(text).toMatch(/Opcode: Connect Command/);
      expect(text).toMatch(/OBEX Protocol/);
      expect(text).toMatch(/Opcode: Put/);
      expect(text).toMatch(/Opcode: Get/);
      expect(text).toMatch(/Opcode: Disconnect \(0x01\)/);
      expect(text).toMatch(/Response Code: Success/);
      expect(text).toMatch(/Name: history\.txt/);
      expect(text).toMatch(/Type: text\/plain/);
    });

    it('a lossy session (frames corrupted and dropped) still dissects without malformed packets', async () => {
      const file = path.join(dir, 'lossy.pcapng');
      await captureSession(file, { frameCorruptRate: 0.05, frameDropRate: 0.02 });
      const r = spawnSync('tshark', ['-r', file, '-V'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      expect(r.status).toBe(0);
      expect(r.stdout).not.toMatch(/Malformed|Exception occurred/);
      expect(r.stdout).toMatch(/OBEX Protocol/);
    });
  },
);
