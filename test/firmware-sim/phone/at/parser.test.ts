import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../../../firmware-sim/phone/at/parser.js';

describe('V.250 §5.3–5.4 command-line parser', () => {
  it('§5.3.1 basic commands with and without values, & commands, concatenated without separators', () => {
    expect(parseCommandLine('E0V1&F Q0').commands).toEqual([
      { type: 'basic', name: 'E', value: 0 },
      { type: 'basic', name: 'V', value: 1 },
      { type: 'basic', name: '&F', value: undefined },
      { type: 'basic', name: 'Q', value: 0 },
    ]);
  });

  it('§5.3.2 S-parameters: Sn?, Sn=v, Sn= (value 0), Sn=?', () => {
    expect(parseCommandLine('S3?S7=60S0=S5=?').commands).toEqual([
      { type: 'sreg', register: 3, op: 'read' },
      { type: 'sreg', register: 7, op: 'set', value: 60 },
      { type: 'sreg', register: 0, op: 'set', value: 0 },
      { type: 'sreg', register: 5, op: 'test' },
    ]);
  });

  it('§5.4.1 extended commands: action, read, test, set; ";" between them; names upper-cased', () => {
    expect(parseCommandLine('+cmee=1;+CPIN?;+csq;+COPS=?').commands).toEqual([
      { type: 'extended', name: '+CMEE', op: 'set', params: [{ kind: 'number', value: 1, text: '1' }] },
      { type: 'extended', name: '+CPIN', op: 'read', params: [] },
      { type: 'extended', name: '+CSQ', op: 'exec', params: [] },
      { type: 'extended', name: '+COPS', op: 'test', params: [] },
    ]);
  });

  it('§5.4.2 values: numbers, quoted strings with \\HH escapes, omitted values, unquoted text', () => {
    const r = parseCommandLine('+COPS=1,,"Be\\22nch",7;+CPIN=0000,ab12');
    expect(r.error).toBeUndefined();
    expect(r.commands[0]).toEqual({
      type: 'extended',
      name: '+COPS',
      op: 'set',
      params: [
        { kind: 'number', value: 1, text: '1' },
        { kind: 'omitted' },
        { kind: 'string', value: 'Be"nch' },
        { kind: 'number', value: 7, text: '7' },
      ],
    });
    expect(r.commands[1]).toMatchObject({
      params: [
        { kind: 'number', value: 0, text: '0000' },
        { kind: 'token', text: 'ab12' },
      ],
    });
  });

  it('§5.1 spaces are ignored outside strings and kept inside', () => {
    expect(parseCommandLine(' + C S C S = " G S M " ').commands).toEqual([
      { type: 'extended', name: '+CSCS', op: 'set', params: [{ kind: 'string', value: ' G S M ' }] },
    ]);
  });

  it('a basic command may precede an extended one without ";" (§5.4.1); D takes the rest up to ";"', () => {
    expect(parseCommandLine('E0+CMEE=2').commands.map((c) => c.type)).toEqual(['basic', 'extended']);
    expect(parseCommandLine('D+44 1234;E1').commands).toEqual([
      { type: 'dial', text: '+441234' },
      { type: 'basic', name: 'E', value: 1 },
    ]);
  });

  it('syntax errors stop parsing and keep the commands before them', () => {
    const cases: [string, number][] = [
      ['E0+CPIN?E1', 1], // an extended command must be followed by ";" or the end
      ['+CSCS="IRA', 0], // unterminated string
      ['E0!', 1], // "!" is no command
      ['+=1', 0], // an extended name starts with a letter
      ['S=3', 0], // S needs a register number
      ['S3', 0], // Sn needs ? or =
      ['+CMEE=1"x"', 0], // a string right after a value
      ['+X="\\4"', 0], // bad escape
      ['E99999999999', 0], // number too large
    ];
    for (const [line, kept] of cases) {
      const r = parseCommandLine(line);
      expect(r.error, line).toBeDefined();
      expect(r.commands.length, line).toBe(kept);
    }
  });

  it('an empty line has no commands and no error (plain "AT")', () => {
    expect(parseCommandLine('')).toEqual({ commands: [] });
  });
});
