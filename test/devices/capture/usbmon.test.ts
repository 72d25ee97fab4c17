import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  STATUS_IN_PROGRESS,
  URB_DIR_IN,
  USBMON_HEADER_BYTES,
  UsbTransferType,
  UsbmonError,
  controlTransfer,
  decodeUsbmonPacket,
  encodeSetup,
  encodeUsbmonPacket,
  interruptComplete,
  interruptSubmit,
  type UsbmonPacket,
} from '../../../devices/capture/usbmon.js';
import { mulberry32 } from '../../../devices/serial/faults.js';

const GET_DEVICE_DESCRIPTOR = { bmRequestType: 0x80, bRequest: 0x06, wValue: 0x0100, wIndex: 0, wLength: 18 };

describe('usbmon packets: known answers (Linux usbmon.rst, "Raw binary format and API")', () => {
  it('setup packet of GET_DESCRIPTOR(Device) is 80 06 00 01 00 00 12 00 (USB 2.0 §9.3, §9.4.3)', () => {
    expect(Buffer.from(encodeSetup(GET_DEVICE_DESCRIPTOR)).toString('hex')).toBe('8006000100001200');
  });

  it('a control IN Submit puts every field at its usbmon.rst offset', () => {
    const [submit] = controlTransfer(
      { id: 0x1122334455667788n, bus: 3, device: 7, submitUs: 946_684_800_000_250n, completeUs: 0n },
      GET_DEVICE_DESCRIPTOR,
      Uint8Array.of(1, 2, 3),
    );
    const b = Buffer.from(encodeUsbmonPacket(submit!));
    expect(b.length).toBe(USBMON_HEADER_BYTES);
    expect(b.readBigUInt64LE(0)).toBe(0x1122334455667788n); // 0: id
    expect(String.fromCharCode(b[8]!)).toBe('S'); // 8: type
    expect(b[9]).toBe(2); // 9: xfer_type control
    expect(b[10]).toBe(0x80); // 10: epnum, IN
    expect(b[11]).toBe(7); // 11: devnum
    expect(b.readUInt16LE(12)).toBe(3); // 12: busnum
    expect(b[14]).toBe(0); // 14: flag_setup, setup present
    expect(String.fromCharCode(b[15]!)).toBe('<'); // 15: flag_data, IN data not yet there
    expect(b.readBigInt64LE(16)).toBe(946_684_800n); // 16: ts_sec
    expect(b.readInt32LE(24)).toBe(250); // 24: ts_usec
    expect(b.readInt32LE(28)).toBe(-115); // 28: status -EINPROGRESS
    expect(b.readUInt32LE(32)).toBe(18); // 32: length requested (wLength)
    expect(b.readUInt32LE(36)).toBe(0); // 36: len_cap
    expect(b.subarray(40, 48).toString('hex')).toBe('8006000100001200'); // 40: setup
    expect(b.readInt32LE(48)).toBe(0); // 48: interval
    expect(b.readInt32LE(52)).toBe(0); // 52: start_frame
    expect(b.readUInt32LE(56)).toBe(URB_DIR_IN); // 56: xfer_flags
    expect(b.readUInt32LE(60)).toBe(0); // 60: ndesc
  });

  it('the Complete of a control IN carries the answer after the header, no setup', () => {
    const [, complete] = controlTransfer(
      { id: 1n, bus: 1, device: 2, submitUs: 0n, completeUs: 1_500_000n },
      GET_DEVICE_DESCRIPTOR,
      Uint8Array.of(0x12, 0x01),
    );
    const b = Buffer.from(encodeUsbmonPacket(complete!));
    expect(String.fromCharCode(b[8]!)).toBe('C');
    expect(String.fromCharCode(b[14]!)).toBe('-');
    expect(b[15]).toBe(0);
    expect(b.readBigInt64LE(16)).toBe(1n);
    expect(b.readInt32LE(24)).toBe(500_000);
    expect(b.readInt32LE(28)).toBe(0);
    expect([b.readUInt32LE(32), b.readUInt32LE(36)]).toEqual([2, 2]);
    expect(b.subarray(64).toString('hex')).toBe('1201');
  });

  it('a control OUT (SET_REPORT) carries its data on the Submit; the Complete only its length', () => {
    const setReport = { bmRequestType: 0x21, bRequest: 0x09, wValue: 0x0204, wIndex: 0, wLength: 2 };
    const [s, c] = controlTransfer(
      { id: 9n, bus: 1, device: 2, submitUs: 0n, completeUs: 0n },
      setReport,
      Uint8Array.of(4, 1),
    );
    expect(s).toMatchObject({ endpoint: 0x00, urbLength: 2, status: STATUS_IN_PROGRESS });
    expect(Array.from(s!.data)).toEqual([4, 1]);
    expect(c).toMatchObject({ endpoint: 0x00, urbLength: 2, status: 0 });
    expect(c!.data.length).toBe(0);
    const b = Buffer.from(encodeUsbmonPacket(c!));
    expect(String.fromCharCode(b[15]!)).toBe('>');
    expect(b.readUInt32LE(56)).toBe(0);
  });

  it('interrupt IN: the Submit asks for a length, the Complete brings the report with the interval', () => {
    const s = interruptSubmit({ id: 5n, bus: 1, device: 2, submitUs: 0n }, 0x81, 10, 64);
    const c = interruptComplete(
      { id: 5n, bus: 1, device: 2, completeUs: 8000n },
      0x81,
      10,
      Uint8Array.of(2, 3),
    );
    expect(s).toMatchObject({
      type: 'S',
      transferType: UsbTransferType.INTERRUPT,
      urbLength: 64,
      interval: 10,
    });
    expect(s.data.length).toBe(0);
    expect(c).toMatchObject({ type: 'C', urbLength: 2, interval: 10 });
    expect(Buffer.from(encodeUsbmonPacket(c)).readInt32LE(48)).toBe(10);
  });

  it('decode names the first bad field', () => {
    expect(decodeUsbmonPacket(new Uint8Array(10))).toEqual(
      new UsbmonError(10, 'a 64-byte header (got 10 bytes)'),
    );
    const bytes = Buffer.from(
      encodeUsbmonPacket(interruptSubmit({ id: 1n, bus: 1, device: 1, submitUs: 0n }, 0x81, 1, 8)),
    );
    bytes[8] = 0x58;
    expect((decodeUsbmonPacket(bytes) as UsbmonError).offset).toBe(8);
    bytes[8] = 0x53;
    bytes.writeUInt32LE(3, 36);
    expect((decodeUsbmonPacket(bytes) as UsbmonError).offset).toBe(36);
  });
});

const packetArb: fc.Arbitrary<UsbmonPacket> = fc.record({
  id: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  type: fc.constantFrom('S' as const, 'C' as const, 'E' as const),
  transferType: fc.integer({ min: 0, max: 3 }),
  endpoint: fc.integer({ min: 0, max: 255 }),
  device: fc.integer({ min: 0, max: 127 }),
  bus: fc.integer({ min: 0, max: 0xffff }),
  setup: fc.option(fc.uint8Array({ minLength: 8, maxLength: 8 }), { nil: undefined }),
  data: fc.uint8Array({ maxLength: 200 }),
  urbLength: fc.integer({ min: 0, max: 0xffffffff }),
  status: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  timestampUs: fc.bigInt({ min: 0n, max: 2n ** 62n }),
  interval: fc.integer({ min: 0, max: 255 }),
  startFrame: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  xferFlags: fc.integer({ min: 0, max: 0xffffffff }),
});

describe('usbmon packets: properties and fuzz', () => {
  it('property: decode(encode(p)) = p', () => {
    fc.assert(
      fc.property(packetArb, (p) => {
        expect(decodeUsbmonPacket(encodeUsbmonPacket(p))).toEqual(p);
      }),
      { numRuns: 500 },
    );
  });

  it('property: arbitrary bytes decode to a packet or a UsbmonError, never a throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 160 }), (bytes) => {
        const r = decodeUsbmonPacket(bytes);
        if (r instanceof UsbmonError) expect(r.offset).toBeLessThanOrEqual(bytes.length);
        else expect(r.data.length).toBe(bytes.length - USBMON_HEADER_BYTES);
      }),
      { numRuns: 1000 },
    );
  });

  it('fuzz: 5000 seeded single-byte mutations of an encoded packet never throw and re-encode alike when accepted', () => {
    const random = mulberry32(0x05b3);
    const base = encodeUsbmonPacket(
      controlTransfer(
        { id: 77n, bus: 1, device: 2, submitUs: 123_456_789n, completeUs: 123_457_000n },
        GET_DEVICE_DESCRIPTOR,
        new Uint8Array(18).fill(0xaa),
      )[1]!,
    );
    for (let run = 0; run < 5000; run++) {
      const bytes = Uint8Array.from(base);
      bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      const r = decodeUsbmonPacket(bytes);
      if (r instanceof UsbmonError) continue;
      // Accepted packets come back byte for byte, except flag bytes the encoder derives.
      const again = Buffer.from(encodeUsbmonPacket(r));
      again[14] = bytes[14]!;
      again[15] = bytes[15]!;
      if (!r.setup) again.set(bytes.subarray(40, 48), 40);
      expect(again.equals(Buffer.from(bytes))).toBe(true);
    }
  });
});
