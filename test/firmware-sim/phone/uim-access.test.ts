/**
 * The handset's SIM driver against both card fixtures: class detection as a handset does it, and the
 * record access the SMS store ("SM", EF_SMS of TS 51.011 §10.5.3 / TS 31.102 §4.4.2.x) will use.
 */
import { describe, expect, it } from 'vitest';
import { FileId, UimAccess } from '../../../firmware-sim/phone/uim-access.js';
import { card, GSM, pinBlock, USIM } from '../uim/helpers.js';

describe.each([
  { name: USIM, dialect: 'uicc', pin: '1234', denied: 0x6982 },
  { name: GSM, dialect: 'gsm', pin: '0000', denied: 0x9804 },
] as const)('UimAccess with $name', (c) => {
  function access(): UimAccess {
    const a = new UimAccess(card(c.name));
    expect(a.powerOn()).toBe(true);
    return a;
  }

  it(`detects the ${c.dialect} command class (CLA 00 first, then A0)`, () => {
    expect(access().dialect).toBe(c.dialect);
  });

  it('EF_SMS: 176-byte records, status byte 00 (free) until written; UPDATE RECORD needs CHV1', () => {
    const a = access();
    const f = a.recordFile(FileId.EF_SMS);
    expect(f.sw).toBe(0x9000);
    expect(f.length).toBe(176);
    expect(f.count).toBeGreaterThan(0);
    const empty = a.readRecord(FileId.EF_SMS, 1);
    expect(empty.sw).toBe(c.denied);
    expect(a.verify('PIN1', c.pin)).toBe(0x9000);
    expect(a.readRecord(FileId.EF_SMS, 1).data[0]).toBe(0x00);
    // Status 01 (received, read) followed by a TPDU, FF-padded to the record length (TS 51.011 §10.5.3).
    const record = new Uint8Array(176).fill(0xff);
    record.set([0x01, 0x00, 0x04, 0x0b, 0x91]);
    expect(a.updateRecord(FileId.EF_SMS, 1, record)).toBe(0x9000);
    expect(Buffer.from(a.readRecord(FileId.EF_SMS, 1).data)).toEqual(Buffer.from(record));
    expect(a.readRecord(FileId.EF_SMS, f.count + 1).sw).not.toBe(0x9000);
  });

  it('pin state follows VERIFY through the same card (empty VERIFY / MF status)', () => {
    const a = access();
    expect(a.pinState()).toBe('SIM PIN');
    const cla = c.dialect === 'gsm' ? 'A0' : '00';
    const r = a.transmit(Uint8Array.from(Buffer.from(`${cla}20000108${pinBlock(c.pin)}`, 'hex')));
    expect(Buffer.from(r).toString('hex')).toBe('9000');
    expect(a.pinState()).toBe('READY');
  });
});
