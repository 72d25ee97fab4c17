/** Conformance transcripts for ITU-T V.250 behaviour: bytes in, exact bytes out. */
import { describe, expect, it } from 'vitest';
import { phone, v1 } from './helpers.js';

const OK = '\r\nOK\r\n';
const ERROR = '\r\nERROR\r\n';

describe('V.250 §5.2 command line assembly', () => {
  it('§5.2.1 "AT" and "at" prefixes; a mixed-case prefix is accepted too', () => {
    const p = phone('seed001', { echo: false });
    expect(p.send('AT\r')).toBe(OK);
    expect(p.send('at\r')).toBe(OK);
    expect(p.send('aT+cgmi\r')).toBe(v1('benchtwin') + OK);
  });

  it('§5.2.1 characters before the prefix are ignored: line noise, LF after CR, binary garbage', () => {
    const p = phone('seed001', { echo: false });
    expect(p.send('\x00\xff\x13zz\n\r\nxAAT\r\n')).toBe(OK);
    expect(p.send('\n')).toBe('');
  });

  it('§5.2.2 S5 (backspace) deletes the character before it; other control characters are dropped', () => {
    const p = phone('seed001', { echo: false });
    expect(p.send('AT+CGMX\bI\r')).toBe(v1('benchtwin') + OK);
    expect(p.send('AT+C\x07GM\x01I\r')).toBe(v1('benchtwin') + OK);
  });

  it('§5.2.4 "A/" repeats the last command line at once, without S3', () => {
    const p = phone('seed001', { echo: false });
    expect(p.send('AT+CGMM\r')).toBe(v1('BT-P1 Payment Phone') + OK);
    expect(p.send('A/')).toBe(v1('BT-P1 Payment Phone') + OK);
    expect(p.send('a/')).toBe(v1('BT-P1 Payment Phone') + OK);
  });

  it('a line longer than the limit is answered with ERROR; the next line works', () => {
    const p = phone('seed001', { echo: false });
    expect(p.send(`AT${'X'.repeat(5000)}\r`)).toBe(ERROR);
    expect(p.send('AT\r')).toBe(OK);
  });

  it('§5.2.3 / 6.2.4 E1 echoes every received character, E0 stops the echo (its own line still echoed)', () => {
    const p = phone('seed001');
    expect(p.send('AT\r')).toBe(`AT\r${OK}`);
    expect(p.send('ATE0\r')).toBe(`ATE0\r${OK}`);
    expect(p.send('AT\r')).toBe(OK);
    expect(p.send('ATE1\r')).toBe(OK);
    expect(p.send('AT\r')).toBe(`AT\r${OK}`);
  });
});

describe('V.250 §5.6–5.7 execution and result codes', () => {
  it('§5.6 commands run in order; the first error stops the line and the rest is not executed', () => {
    const p = phone('seed001', { echo: false });
    expect(p.send('AT+CGMI;+NOSUCH;+CGMM\r')).toBe(v1('benchtwin') + ERROR);
    expect(p.send('AT+CGMI;!\r')).toBe(v1('benchtwin') + ERROR);
    // E1 runs, X9 fails, E0 is never reached: echo stays on.
    expect(p.send('ATE1X9E0\r')).toBe(ERROR);
    expect(p.send('AT\r')).toBe(`AT\r${OK}`);
  });

  it('§6.2.6 V0: numeric result codes "<n><CR>", information text "<text><CR><LF>"', () => {
    const p = phone('seed001', { echo: false });
    expect(p.send('ATV0\r')).toBe('0\r');
    expect(p.send('AT+NOSUCH\r')).toBe('4\r');
    expect(p.send('ATI\r')).toBe('benchtwin\r\nBT-P1 Payment Phone\r\nRevision: BTP1-1.0.0\r\n0\r');
    expect(p.send('ATD123;\r')).toBe('3\r');
    expect(p.send('AT+CMEE=1;+CIMI\r')).toBe('+CME ERROR: 11\r');
    expect(p.send('ATV1\r')).toBe(OK);
  });

  it('§6.2.5 Q1 suppresses result codes but not information text', () => {
    const p = phone('seed001', { echo: false });
    expect(p.send('ATQ1\r')).toBe('');
    expect(p.send('AT+CGMI\r')).toBe(v1('benchtwin'));
    expect(p.send('AT+NOSUCH\r')).toBe('');
    expect(p.send('ATQ0\r')).toBe(OK);
  });

  it('E, V, Q accept 0 and 1 only', () => {
    const p = phone('seed001', { echo: false });
    for (const c of ['ATE2', 'ATV2', 'ATQ2']) expect(p.send(`${c}\r`), c).toBe(ERROR);
  });

  it('§6.2 S-registers: read as three decimal digits, set within range, test gives the range', () => {
    const p = phone('seed001', { echo: false });
    expect(p.send('ATS3?\r')).toBe(v1('013') + OK);
    expect(p.send('ATS4?;S5?\r')).toBe(v1('010') + v1('008') + OK);
    expect(p.send('ATS7?\r')).toBe(v1('050') + OK);
    expect(p.send('ATS0=2S0?\r')).toBe(v1('002') + OK);
    expect(p.send('ATS5=?\r')).toBe(v1('(0-127)') + OK);
    expect(p.send('ATS0=256\r')).toBe(ERROR);
    expect(p.send('ATS6=1\r')).toBe(ERROR);
    expect(p.send('ATS99?\r')).toBe(ERROR);
  });

  it('§6.2.1 a new S3 terminates lines and frames the result of the very line that set it', () => {
    const p = phone('seed001', { echo: false });
    expect(p.send('ATS3=64\r')).toBe('@\nOK@\n');
    expect(p.send('AT+CGMI@')).toBe('@\nbenchtwin@\n@\nOK@\n');
    expect(p.send('ATS3=13@')).toBe(OK);
  });

  it('§6.1.1 ATZ and §6.1.2 AT&F restore E1 V1 Q0, S-registers, +CMEE 0, +CSCS and +CREG', () => {
    for (const reset of ['ATZ', 'AT&F']) {
      const p = phone('seed001', { echo: false });
      p.send('ATV0S0=5;+CMEE=2;+CSCS="UCS2";+CREG=2\r');
      // Sent with E0 so not echoed, answered in the restored V1 format; the next line is echoed again.
      expect(p.send(`${reset}\r`)).toBe(OK);
      expect(p.send('ATE0\r')).toBe(`ATE0\r${OK}`);
      expect(p.send('ATS0?;+CMEE?;+CSCS?;+CREG?\r')).toBe(
        v1('000') + v1('+CMEE: 0') + v1('+CSCS: "IRA"') + v1('+CREG: 0,0') + OK, // PIN not given: not registered
      );
    }
  });

  it('§6.1.3 ATI: identity lines; I1 revision, I3 model; other values ERROR', () => {
    const p = phone('seed001', { echo: false });
    expect(p.send('ATI\r')).toBe(v1('benchtwin\r\nBT-P1 Payment Phone\r\nRevision: BTP1-1.0.0') + OK);
    expect(p.send('ATI0\r')).toBe(v1('benchtwin\r\nBT-P1 Payment Phone\r\nRevision: BTP1-1.0.0') + OK);
    expect(p.send('ATI1\r')).toBe(v1('BTP1-1.0.0') + OK);
    expect(p.send('ATI3\r')).toBe(v1('BT-P1 Payment Phone') + OK);
    expect(p.send('ATI9\r')).toBe(ERROR);
  });

  it('settings clients send while probing: X, &C, &D, L, M, H within range; out of range ERROR', () => {
    const p = phone('seed001', { echo: false });
    expect(p.send('ATX4&C1&D2L1M0H0\r')).toBe(OK);
    for (const c of ['ATX5', 'AT&C2', 'AT&D3', 'ATL4', 'ATM3', 'ATH1'])
      expect(p.send(`${c}\r`), c).toBe(ERROR);
    expect(p.send('ATD*99#\r')).toBe('\r\nNO CARRIER\r\n');
  });

  it('§6.1 +GMI +GMM +GMR +GSN +GCAP and +IPR', () => {
    const p = phone('seed001', { echo: false });
    expect(p.send('AT+GMI;+GMM;+GMR;+GSN\r')).toBe(
      v1('benchtwin') + v1('BT-P1 Payment Phone') + v1('BTP1-1.0.0') + v1('353951100000014') + OK,
    );
    expect(p.send('AT+GMI=?;+GMM=?;+GMR=?;+GSN=?;+GCAP=?\r')).toBe(OK);
    expect(p.send('AT+GCAP\r')).toBe(v1('+GCAP: +CGSM') + OK);
    expect(p.send('AT+IPR?\r')).toBe(v1('+IPR: 115200') + OK);
    expect(p.send('AT+IPR=?\r')).toBe(v1('+IPR: (),(300,1200,2400,4800,9600,19200,38400,57600,115200)') + OK);
    expect(p.send('AT+IPR=9600;+IPR?\r')).toBe(v1('+IPR: 9600') + OK);
    expect(p.send('AT+IPR=1234\r')).toBe(ERROR);
  });

  it('TS 27.007 §8.37 +CLAC lists every command the table answers, sorted, and nothing else', () => {
    const p = phone('seed001', { echo: false });
    const out = p.send('AT+CLAC\r');
    expect(out.endsWith(OK)).toBe(true);
    const listed = out.slice(2, -OK.length - 2).split('\r\n');
    expect(listed).toEqual([...listed].sort());
    for (const c of [
      'AT+CPIN',
      'AT+CSIM',
      'AT+CRSM',
      'AT+CREG',
      'AT+CGSN',
      'ATE',
      'AT&F',
      'ATI',
      'AT+CLAC',
      'AT+CMGS',
      'AT+CNMI',
    ]) {
      expect(listed, c).toContain(c);
    }
    expect(listed).not.toContain('AT+CMGC');
    for (const c of listed.filter((l) => l.startsWith('AT+'))) {
      expect(p.send(`${c}=?\r`).startsWith('\r\nERROR'), c).toBe(false);
    }
  });

  it('a form a command does not have is ERROR, also under +CMEE=1 (TS 27.007 §9.2: syntax)', () => {
    const p = phone('seed001', { echo: false });
    p.send('AT+CMEE=1\r');
    for (const c of ['AT+CSQ?', 'AT+CSQ=1', 'AT+CGMI?', 'AT+CLCK', 'AT+CPIN', 'AT^SYSINFO', 'AT$QCSIMAPP?']) {
      expect(p.send(`${c}\r`), c).toBe(ERROR);
    }
  });
});
