/**
 * The "> " prompt mechanics of TS 27.005 §3.5.1 (+CMGS/+CMGW) through the pluggable PromptHandler. The
 * SMS commands come later; these tests register a test command ("+XTEST", a test double for them) that
 * records what its handler receives.
 */
import { describe, expect, it } from 'vitest';
import { cms, ok, prompt } from '../../../../firmware-sim/phone/at/command-table.js';
import type { PromptHandler } from '../../../../firmware-sim/phone/at/command-table.js';
import { phone, v1 } from './helpers.js';

const OK = '\r\nOK\r\n';
const PROMPT = '\r\n> ';

function withTestCommand(maxLength?: number) {
  const p = phone('seed001', { echo: false });
  const seen: { data?: string; overflow?: boolean; cancelled: number } = { cancelled: 0 };
  p.modem.table.add({
    name: '+XTEST',
    set: (params) => {
      const handler: PromptHandler = {
        submit: (data, overflow) => {
          seen.data = Buffer.from(data).toString('latin1');
          seen.overflow = overflow;
          if (data.length === 0) return cms(304, 'invalid PDU mode parameter');
          return ok(`+XTEST: ${params.length},${data.length}`);
        },
        cancel: () => seen.cancelled++,
        ...(maxLength !== undefined ? { maxLength } : {}),
      };
      return prompt(handler);
    },
  });
  return { p, seen };
}

describe('TS 27.005 §3.5.1 prompt mode (test command standing in for +CMGS)', () => {
  it('"\\r\\n> " then data up to Ctrl-Z goes to the handler; its answer ends the command', () => {
    const { p, seen } = withTestCommand();
    expect(p.send('AT+XTEST=1\r')).toBe(PROMPT);
    expect(p.send('0011000B91\r\n')).toBe('');
    expect(p.send('AB\x1a')).toBe(v1('+XTEST: 1,14') + OK);
    expect(seen).toEqual({ data: '0011000B91\r\nAB', overflow: false, cancelled: 0 });
    expect(p.send('AT\r')).toBe(OK);
  });

  it('ESC cancels: final OK, the handler is told, nothing is submitted', () => {
    const { p, seen } = withTestCommand();
    p.send('AT+XTEST=1\r');
    expect(p.send('0011\x1b')).toBe(OK);
    expect(seen).toEqual({ cancelled: 1 });
  });

  it('with echo on the data is echoed but not its Ctrl-Z', () => {
    const { p } = withTestCommand();
    p.modem.interpreter.settings.echo = true;
    expect(p.send('AT+XTEST=1\r')).toBe(`AT+XTEST=1\r${PROMPT}`);
    expect(p.send('07\x1a')).toBe(`07${v1('+XTEST: 1,2')}${OK}`);
  });

  it('+CMS ERROR from the handler is reported numerically, verbosely under +CMEE=2', () => {
    const { p } = withTestCommand();
    p.send('AT+XTEST=1\r');
    expect(p.send('\x1a')).toBe('\r\n+CMS ERROR: 304\r\n');
    p.send('AT+CMEE=2;+XTEST=1\r');
    expect(p.send('\x1a')).toBe('\r\n+CMS ERROR: invalid PDU mode parameter\r\n');
  });

  it('data past maxLength is dropped and flagged', () => {
    const { p, seen } = withTestCommand(4);
    p.send('AT+XTEST=1\r');
    p.send('123456\x1a');
    expect(seen.data).toBe('1234');
    expect(seen.overflow).toBe(true);
  });

  it('commands after the prompting one on the same line are not executed', () => {
    const { p } = withTestCommand();
    expect(p.send('AT+XTEST=1;+CGMI\r')).toBe(PROMPT);
    expect(p.send('1\x1a')).toBe(v1('+XTEST: 1,1') + OK);
  });

  it('unsolicited result codes wait while the prompt is open', () => {
    const { p } = withTestCommand();
    p.send('AT+CPIN="1234";+CREG=1\r');
    expect(p.send('AT+XTEST=1\r')).toBe(PROMPT);
    expect(p.send('AT+CFUN=4\r')).toBe(''); // inside the prompt this is data, not a command
    p.modem.radio.setPower(false);
    expect(p.drain()).toBe('');
    expect(p.send('\x1b')).toBe(OK + v1('+CREG: 0'));
    p.modem.radio.setPower(true);
    expect(p.drain()).toBe(v1('+CREG: 1'));
  });

  it('a handler that throws is answered as a phone failure and the line goes on', () => {
    const p = phone('seed001', { echo: false });
    p.modem.table.add({
      name: '+XBOOM',
      exec: () => {
        throw new Error('handler fault');
      },
    });
    expect(p.send('AT+CMEE=1;+XBOOM\r')).toBe('\r\n+CME ERROR: 0\r\n');
    expect(p.send('AT\r')).toBe(OK);
  });
});

describe('unsolicited result codes of several lines (+CMT with its PDU)', () => {
  it('go out together, framed as one information block (TS 27.005 §3.4.1 +CMT: [<alpha>],<length><CR><LF><pdu>)', () => {
    const p = phone('seed001', { echo: false });
    p.modem.interpreter.unsolicited(['+CMT: ,24', '07914477009000F0040B']);
    expect(p.drain()).toBe('\r\n+CMT: ,24\r\n07914477009000F0040B\r\n');
    p.send('AT+CG');
    p.modem.interpreter.unsolicited(['+CMT: ,24', '07914477009000F0040B']);
    expect(p.drain()).toBe('');
    expect(p.send('MI\r')).toBe(v1('benchtwin') + OK + '\r\n+CMT: ,24\r\n07914477009000F0040B\r\n');
  });
});
