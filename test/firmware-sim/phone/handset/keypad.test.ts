/**
 * Multi-tap text entry (letter groups of ITU-T E.161 §2) on a virtual clock: repeated presses cycle a
 * key's letters, another key or the timeout ends the character.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../../firmware-sim/clock.js';
import { HandsetInputError, TextEntry } from '../../../../firmware-sim/phone/handset/keypad.js';
import type { Key } from '../../../../firmware-sim/phone/handset/keys.js';
import { E161_LETTERS, keyForChar, parseKey } from '../../../../firmware-sim/phone/handset/keys.js';

function entry(mode: 'text' | 'numeric' = 'text', maxLength = 16) {
  const clock = new VirtualClock();
  let changes = 0;
  const e = new TextEntry(clock, { mode, maxLength, multiTapTimeoutMs: 1000 }, () => changes++);
  const press = (...keys: Key[]) => keys.forEach((k) => e.key(k));
  return { clock, e, press, changes: () => changes };
}

describe('E.161 letter groups', () => {
  it('E.161 §2: 2 ABC, 3 DEF, 4 GHI, 5 JKL, 6 MNO, 7 PQRS, 8 TUV, 9 WXYZ, and 0/1 carry no letters', () => {
    expect(Object.values(E161_LETTERS).join('')).toBe('ABCDEFGHIJKLMNOPQRSTUVWXYZ');
    expect(E161_LETTERS['7']).toBe('PQRS');
    expect(E161_LETTERS['9']).toBe('WXYZ');
    expect(E161_LETTERS['1'] + E161_LETTERS['0']).toBe('');
  });

  it('every letter is reachable by one key', () => {
    for (const ch of 'ABCDEFGHIJKLMNOPQRSTUVWXYZ') expect(keyForChar(ch, 'upper')).toBeDefined();
    expect(keyForChar('S', 'upper')).toEqual({ key: '7', presses: 4 });
  });

  it('key names and aliases', () => {
    expect(parseKey('OK')).toBe('ok');
    expect(parseKey('select')).toBe('ok');
    expect(parseKey('Soft_Left')).toBe('soft-left');
    expect(parseKey('clear')).toBe('back');
    expect(parseKey('power')).toBe('end');
    expect(parseKey('f1')).toBeUndefined();
  });
});

describe('multi-tap', () => {
  it('2 2 2 types C, a fourth press within the timeout the digit; after the timeout the same key starts a new character', () => {
    const { clock, e, press } = entry();
    press('2', '2', '2');
    expect(e.value).toBe('C');
    expect(e.pending).toBe(true);
    clock.advance(999);
    press('2');
    expect(e.value).toBe('2');
    clock.advance(1000);
    expect(e.pending).toBe(false);
    press('2');
    expect(e.value).toBe('2A');
  });

  it('another key ends the character at once: 4 4 3 3 5 5 5 5 5 5 6 6 6 → HELLO needs the timeout between the Ls', () => {
    const { clock, e, press } = entry();
    press('4', '4', '3', '3', '5', '5', '5');
    clock.advance(1000);
    press('5', '5', '5', '6', '6', '6');
    expect(e.value).toBe('HELLO');
  });

  it('the cycle wraps through the digit: 7 pressed five times is 7, six times P', () => {
    const { clock, e, press } = entry();
    press('7', '7', '7', '7', '7');
    expect(e.value).toBe('7');
    press('7');
    expect(e.value).toBe('P');
    clock.advance(1000);
    press('0');
    expect(e.value).toBe('P ');
  });

  it('# switches the letter case; right ends a multi-tap without waiting', () => {
    const { e, press } = entry();
    press('2', '#', '2', 'right', '2', '2');
    expect(e.value).toBe('Aab');
  });

  it('back deletes the last character (also a pending one) and answers false on an empty field', () => {
    const { clock, e, press } = entry();
    press('2', '3');
    expect(e.key('back')).toBe(true);
    expect(e.value).toBe('A');
    expect(e.pending).toBe(false);
    expect(e.key('back')).toBe(true);
    expect(e.key('back')).toBe(false);
    expect(clock.pending).toBe(0);
  });

  it('maxLength: presses beyond it are ignored, the pending character may still change', () => {
    const { clock, e, press } = entry('text', 2);
    press('2', '3', '3');
    expect(e.value).toBe('AE');
    clock.advance(1000);
    press('4');
    expect(e.value).toBe('AE');
  });

  it('numeric mode: digits only, no timer', () => {
    const { clock, e, press } = entry('numeric', 4);
    press('1', '1', '2', '#', '*', '3', '4');
    expect(e.value).toBe('1123');
    expect(clock.pending).toBe(0);
  });

  it('enterText is all or nothing with a reason', () => {
    const { e } = entry('numeric', 4);
    e.enterText('12');
    expect(() => e.enterText('3a')).toThrow(HandsetInputError);
    expect(() => e.enterText('345')).toThrow(/at most 4/);
    expect(e.value).toBe('12');
  });
});
