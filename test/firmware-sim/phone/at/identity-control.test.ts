/** TS 27.007 identification, control and network commands: transcripts of every form. */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../../firmware-sim/clock.js';
import { phone, v1 } from './helpers.js';

const OK = '\r\nOK\r\n';
const ERROR = '\r\nERROR\r\n';

/** A phone with echo off, +CMEE=1 and the PIN given. */
function ready(profile = 'seed001', pin = '1234') {
  const p = phone(profile, { echo: false });
  p.send(`AT+CMEE=1;+CPIN="${pin}"\r`);
  return p;
}

describe('TS 27.007 §5 identification', () => {
  it('§5.1–5.4 +CGMI +CGMM +CGMR +CGSN answer the profile; =? answers OK', () => {
    const p = phone('seed001', { echo: false });
    expect(p.send('AT+CGMI\r')).toBe(v1('benchtwin') + OK);
    expect(p.send('AT+CGMM\r')).toBe(v1('BT-P1 Payment Phone') + OK);
    expect(p.send('AT+CGMR\r')).toBe(v1('BTP1-1.0.0') + OK);
    expect(p.send('AT+CGSN\r')).toBe(v1('353951100000014') + OK);
    expect(p.send('AT+CGMI=?;+CGMM=?;+CGMR=?\r')).toBe(OK);
  });

  it('§5.4 +CGSN=<snt>: 1 IMEI, 2 IMEISV (TAC+SNR+SVN), 3 SVN; test form lists 0-3', () => {
    const p = phone('seed001', { echo: false });
    expect(p.send('AT+CGSN=?\r')).toBe(v1('+CGSN: (0-3)') + OK);
    expect(p.send('AT+CGSN=1\r')).toBe(v1('+CGSN: "353951100000014"') + OK);
    expect(p.send('AT+CGSN=2\r')).toBe(v1('+CGSN: "3539511000000101"') + OK);
    expect(p.send('AT+CGSN=3\r')).toBe(v1('+CGSN: "01"') + OK);
    expect(p.send('AT+CMEE=1;+CGSN=4\r')).toBe('\r\n+CME ERROR: 50\r\n');
  });

  it('§5.6 +CIMI needs the PIN (+CME ERROR: 11), then reads EF_IMSI from the USIM and the GSM SIM', () => {
    const p = phone('seed001', { echo: false });
    expect(p.send('AT+CMEE=1;+CIMI\r')).toBe('\r\n+CME ERROR: 11\r\n');
    expect(p.send('AT+CPIN="1234";+CIMI\r')).toBe(v1('001010123456789') + OK);
    expect(p.send('AT+CIMI=?\r')).toBe(OK);
    const g = ready('seed001-gsm', '0000');
    expect(g.send('AT+CIMI\r')).toBe(v1('234150999999999') + OK);
  });

  it('§7.1 +CNUM reads EF_MSISDN: alpha in the TE character set, number, type 145', () => {
    const p = ready();
    expect(p.send('AT+CNUM\r')).toBe(v1('+CNUM: "My number","+447700900123",145') + OK);
    expect(p.send('AT+CNUM=?\r')).toBe(OK);
    expect(p.send('AT+CSCS="UCS2";+CNUM\r')).toBe(
      v1('+CNUM: "004D00790020006E0075006D006200650072","+447700900123",145') + OK,
    );
    const g = ready('seed001-gsm', '0000');
    expect(g.send('AT+CNUM\r')).toBe(v1('+CNUM: "Own","+447700900456",145') + OK);
  });

  it('no SIM inserted: +CPIN? and +CIMI answer +CME ERROR: 10', () => {
    const p = phone('seed001', { echo: false, card: null });
    expect(p.send('AT+CMEE=1;+CPIN?\r')).toBe('\r\n+CME ERROR: 10\r\n');
    expect(p.send('AT+CIMI\r')).toBe('\r\n+CME ERROR: 10\r\n');
    expect(p.send('AT+CREG?\r')).toBe(v1('+CREG: 0,0') + OK);
  });
});

describe('TS 27.007 §9.1 +CMEE', () => {
  it('read, test, set; the same wrong PIN as ERROR, numeric and verbose', () => {
    const p = phone('seed001', { echo: false });
    expect(p.send('AT+CMEE?\r')).toBe(v1('+CMEE: 0') + OK);
    expect(p.send('AT+CMEE=?\r')).toBe(v1('+CMEE: (0-2)') + OK);
    expect(p.send('AT+CPIN="9999"\r')).toBe(ERROR);
    expect(p.send('AT+CMEE=1;+CMEE?\r')).toBe(v1('+CMEE: 1') + OK);
    expect(p.send('AT+CPIN="9999"\r')).toBe('\r\n+CME ERROR: 16\r\n');
    expect(p.send('AT+CMEE=2\r')).toBe(OK);
    expect(p.send('AT+CPIN="9999"\r')).toBe('\r\n+CME ERROR: SIM PUK required\r\n');
    expect(p.send('AT+CMEE=3\r')).toBe('\r\n+CME ERROR: Incorrect parameters\r\n');
    expect(p.send('AT+CMEE=\r')).toBe(OK); // an omitted value is 0
    expect(p.send('AT+CMEE?\r')).toBe(v1('+CMEE: 0') + OK);
  });
});

describe('TS 27.007 §5.5 +CSCS', () => {
  it('read, test, set; unknown sets refused; names in +COPS follow the set', () => {
    const p = ready();
    expect(p.send('AT+CSCS?\r')).toBe(v1('+CSCS: "IRA"') + OK);
    expect(p.send('AT+CSCS=?\r')).toBe(v1('+CSCS: ("GSM","IRA","UCS2","HEX")') + OK);
    expect(p.send('AT+CSCS="8859-1"\r')).toBe('\r\n+CME ERROR: 50\r\n');
    expect(p.send('AT+CSCS="UCS2";+CSCS?\r')).toBe(v1('+CSCS: "UCS2"') + OK);
    expect(p.send('AT+COPS=3,1;+COPS?\r')).toBe(v1('+COPS: 0,1,"00420065006E00630068",7') + OK);
    expect(p.send('AT+CSCS="HEX";+COPS?\r')).toBe(v1('+COPS: 0,1,"42656E6368",7') + OK);
    expect(p.send('AT+CSCS="GSM";+COPS?\r')).toBe(v1('+COPS: 0,1,"Bench",7') + OK);
    expect(p.send('AT+CSCS\r')).toBe(ERROR);
    expect(p.send('AT+CSCS=;+CSCS?\r')).toBe(v1('+CSCS: "IRA"') + OK);
  });

  it('+COPS=1 takes the operator name in the TE set; invalid UCS2 is +CME ERROR: 25', () => {
    const p = ready();
    p.send('AT+CSCS="UCS2"\r');
    expect(p.send('AT+COPS=1,1,"00420052006F0061006D"\r')).toBe(OK); // "BRoam"
    expect(p.send('AT+COPS=3,2;+COPS?\r')).toBe(v1('+COPS: 1,2,"23415",0') + OK);
    expect(p.send('AT+COPS=1,0,"0042005"\r')).toBe('\r\n+CME ERROR: 25\r\n');
  });
});

describe('TS 27.007 §8.2 +CFUN', () => {
  it('read and test forms; 4 turns the radio off and keeps the SIM; 0 turns both off', () => {
    const p = ready();
    expect(p.send('AT+CFUN?\r')).toBe(v1('+CFUN: 1') + OK);
    expect(p.send('AT+CFUN=?\r')).toBe(v1('+CFUN: (0,1,4),(0-1)') + OK);
    expect(p.send('AT+CFUN=4;+CFUN?;+CSQ;+CREG?;+CPIN?\r')).toBe(
      v1('+CFUN: 4') + v1('+CSQ: 99,99') + v1('+CREG: 0,0') + v1('+CPIN: READY') + OK,
    );
    expect(p.send('AT+CFUN=1;+CREG?\r')).toBe(v1('+CREG: 0,1') + OK);
    expect(p.send('AT+CFUN=0;+CPIN?\r')).toBe('\r\n+CME ERROR: 3\r\n');
    expect(p.send('AT+CSIM=10,"00B000000A"\r')).toBe('\r\n+CME ERROR: 3\r\n');
    // Back to full functionality the SIM was power-cycled: the PIN is asked again.
    expect(p.send('AT+CFUN=1;+CPIN?;+CREG?\r')).toBe(v1('+CPIN: SIM PIN') + v1('+CREG: 0,0') + OK);
  });

  it('+CFUN=1,1 resets (SIM power cycle); invalid levels and resets refused', () => {
    const p = ready();
    expect(p.send('AT+CFUN=1,1;+CPIN?\r')).toBe(v1('+CPIN: SIM PIN') + OK);
    for (const c of ['AT+CFUN=2', 'AT+CFUN=4,1', 'AT+CFUN=1,2', 'AT+CFUN=', 'AT+CFUN=1,0,0']) {
      expect(p.send(`${c}\r`), c).toBe('\r\n+CME ERROR: 50\r\n');
    }
    expect(p.send('AT+CFUN\r')).toBe(ERROR);
  });
});

describe('TS 27.007 §8.5 +CSQ and §8.4 +CBC', () => {
  it('report the simulated radio and battery; test forms give the ranges', () => {
    const p = ready();
    expect(p.send('AT+CSQ\r')).toBe(v1('+CSQ: 21,99') + OK);
    expect(p.send('AT+CSQ=?\r')).toBe(v1('+CSQ: (0-31,99),(0-7,99)') + OK);
    p.modem.radio.rssi = 7;
    p.modem.radio.ber = 3;
    expect(p.send('AT+CSQ\r')).toBe(v1('+CSQ: 7,3') + OK);
    expect(p.send('AT+CBC\r')).toBe(v1('+CBC: 0,85') + OK);
    expect(p.send('AT+CBC=?\r')).toBe(v1('+CBC: (0-3),(0-100)') + OK);
    p.modem.battery.status = 1;
    p.modem.battery.level = 12;
    expect(p.send('AT+CBC\r')).toBe(v1('+CBC: 1,12') + OK);
  });
});

describe('TS 27.007 §7.2 +CREG', () => {
  it('read, test and set forms; n=2 adds "<lac>","<ci>",<AcT> while registered', () => {
    const p = ready();
    expect(p.send('AT+CREG=?\r')).toBe(v1('+CREG: (0-2)') + OK);
    expect(p.send('AT+CREG?\r')).toBe(v1('+CREG: 0,1') + OK);
    expect(p.send('AT+CREG=2;+CREG?\r')).toBe(v1('+CREG: 2,1,"00C3","001A2B3C",7') + OK);
    expect(p.send('AT+CREG=3\r')).toBe('\r\n+CME ERROR: 50\r\n');
    const g = ready('seed001-gsm', '0000');
    expect(g.send('AT+CREG=2;+CREG?\r')).toBe(v1('+CREG: 2,1,"1A2B","3C4D",0') + OK);
  });

  it('unsolicited +CREG: searching then home, sent after the final result of the line that caused them', () => {
    const clock = new VirtualClock();
    const p = phone('seed001', { echo: false, clock, registrationDelayMs: 2000 });
    expect(p.send('AT+CREG=1\r')).toBe(OK);
    expect(p.send('AT+CPIN="1234"\r')).toBe(OK + v1('+CREG: 2'));
    clock.advance(1999);
    expect(p.drain()).toBe('');
    clock.advance(1);
    expect(p.drain()).toBe(v1('+CREG: 1'));
    expect(p.send('AT+CREG?\r')).toBe(v1('+CREG: 1,1') + OK);
  });

  it('SIM commands while searching do not postpone the registration', () => {
    const clock = new VirtualClock();
    const p = phone('seed001', { echo: false, clock, registrationDelayMs: 2000 });
    p.send('AT+CREG=1;+CPIN="1234"\r');
    clock.advance(1500);
    // Both re-read the SIM state afterwards (ENABLE CHV on an enabled PIN is refused: ERROR).
    expect(p.send('AT+CLCK="SC",1,"1234"\r')).toBe('\r\nERROR\r\n');
    expect(p.send('AT+CSIM=26,"002000010831323334FFFFFFFF"\r')).toBe(v1('+CSIM: 4,"9000"') + OK);
    clock.advance(500);
    expect(p.drain()).toBe(v1('+CREG: 1'));
  });

  it('a switched-off phone is silent: pending registrations and input are dropped', () => {
    const clock = new VirtualClock();
    const p = phone('seed001', { echo: false, clock, registrationDelayMs: 2000 });
    p.send('AT+CREG=1;+CPIN="1234"\r');
    p.modem.powerOff();
    clock.advance(5000);
    expect(p.drain()).toBe('');
    expect(p.send('AT\r')).toBe('');
    expect(p.card!.powered).toBe(false);
  });

  it('an unsolicited result code waits while a command line is being typed', () => {
    const clock = new VirtualClock();
    const p = phone('seed001', { echo: false, clock, registrationDelayMs: 500 });
    p.send('AT+CREG=2;+CPIN="1234"\r');
    expect(p.send('AT+CG')).toBe('');
    clock.advance(500);
    expect(p.drain()).toBe('');
    expect(p.send('MI\r')).toBe(v1('benchtwin') + OK + v1('+CREG: 1,"00C3","001A2B3C",7'));
  });

  it('+CFUN=4 deregisters with an unsolicited +CREG: 0; Q1 suppresses unsolicited codes', () => {
    const p = ready();
    p.send('AT+CREG=1\r');
    expect(p.send('AT+CFUN=4\r')).toBe(OK + v1('+CREG: 0'));
    expect(p.send('ATQ1;+CFUN=1\r')).toBe('');
  });
});

describe('TS 27.007 §10.1.20 +CGREG and §10.1.22 +CEREG', () => {
  it('read, test and set forms; EPS registration only on an E-UTRAN cell', () => {
    const p = ready();
    expect(p.send('AT+CGREG=?;+CEREG=?\r')).toBe(v1('+CGREG: (0-2)') + v1('+CEREG: (0-2)') + OK);
    expect(p.send('AT+CGREG?;+CEREG?\r')).toBe(v1('+CGREG: 0,1') + v1('+CEREG: 0,1') + OK);
    expect(p.send('AT+CEREG=2;+CEREG?\r')).toBe(v1('+CEREG: 2,1,"00C3","001A2B3C",7') + OK);
    expect(p.send('AT+CGREG=3\r')).toBe('\r\n+CME ERROR: 50\r\n');
  });

  it('each reports its own unsolicited code; moving to a GSM cell ends EPS registration', () => {
    const p = ready();
    p.send('AT+CREG=1;+CGREG=1;+CEREG=1\r');
    expect(p.send('AT+COPS=1,2,"23415"\r')).toBe(OK + v1('+CREG: 5') + v1('+CGREG: 5') + v1('+CEREG: 0'));
    expect(p.send('AT+CGREG=2;+CGREG?;+CEREG?\r')).toBe(
      v1('+CGREG: 2,5,"1A2B","3C4D",0') + v1('+CEREG: 1,0') + OK,
    );
    expect(p.send('AT+COPS=0\r')).toBe(
      OK + v1('+CREG: 1') + v1('+CGREG: 1,"00C3","001A2B3C",7') + v1('+CEREG: 1'),
    );
  });
});

describe('TS 27.007 §10.1.9 +CGATT', () => {
  it('attached once registered; detach ends packet registration, attach restores it', () => {
    const p = phone('seed001', { echo: false });
    expect(p.send('AT+CGATT=?\r')).toBe(v1('+CGATT: (0,1)') + OK);
    expect(p.send('AT+CGATT?\r')).toBe(v1('+CGATT: 0') + OK); // PIN not given
    p.send('AT+CPIN="1234";+CGREG=1\r');
    expect(p.send('AT+CGATT?\r')).toBe(v1('+CGATT: 1') + OK);
    expect(p.send('AT+CGATT=0;+CGATT?;+CREG?\r')).toBe(
      v1('+CGATT: 0') + v1('+CREG: 0,1') + OK + v1('+CGREG: 0'),
    );
    expect(p.send('AT+CGATT=1\r')).toBe(OK + v1('+CGREG: 1'));
    expect(p.send('AT+CMEE=1;+CGATT=2\r')).toBe('\r\n+CME ERROR: 50\r\n');
  });
});

describe('TS 27.007 §7.3 +COPS', () => {
  it('read in the three formats; test lists networks with their status, modes and formats', () => {
    const p = ready();
    expect(p.send('AT+COPS?\r')).toBe(v1('+COPS: 0,0,"Bench Network",7') + OK);
    expect(p.send('AT+COPS=3,1;+COPS?\r')).toBe(v1('+COPS: 0,1,"Bench",7') + OK);
    expect(p.send('AT+COPS=3,2;+COPS?\r')).toBe(v1('+COPS: 0,2,"00101",7') + OK);
    expect(p.send('AT+COPS=?\r')).toBe(
      v1(
        '+COPS: (2,"Bench Network","Bench","00101",7),(1,"Bench Roaming","BRoam","23415",0),' +
          '(3,"Barred Network","Barred","00102",2),,(0-4),(0-2)',
      ) + OK,
    );
  });

  it('manual selection roams, a barred network is refused, mode 4 falls back, mode 2 deregisters', () => {
    const p = ready();
    expect(p.send('AT+COPS=1,2,"23415";+COPS?;+CREG?\r')).toBe(
      v1('+COPS: 1,2,"23415",0') + v1('+CREG: 0,5') + OK,
    );
    expect(p.send('AT+COPS=1,0,"Barred Network"\r')).toBe('\r\n+CME ERROR: 32\r\n');
    expect(p.send('AT+CREG?;+COPS?\r')).toBe(v1('+CREG: 0,3') + v1('+COPS: 1') + OK);
    expect(p.send('AT+COPS=1,2,"99999"\r')).toBe('\r\n+CME ERROR: 30\r\n');
    expect(p.send('AT+COPS=4,2,"99999";+COPS?\r')).toBe(v1('+COPS: 0,2,"00101",7') + OK);
    expect(p.send('AT+COPS=2;+COPS?;+CREG?\r')).toBe(v1('+COPS: 2') + v1('+CREG: 0,0') + OK);
    expect(p.send('AT+COPS=0;+CREG?\r')).toBe(v1('+CREG: 0,1') + OK);
    for (const c of ['AT+COPS=5', 'AT+COPS=1', 'AT+COPS=1,3,"x"', 'AT+COPS=3', 'AT+COPS=0,0,"x",9']) {
      expect(p.send(`${c}\r`), c).toBe('\r\n+CME ERROR: 50\r\n');
    }
  });

  it('radio off: +COPS? gives the mode only and +COPS=? has no network service', () => {
    const p = ready();
    expect(p.send('AT+CFUN=4;+COPS?\r')).toBe(v1('+COPS: 0') + OK);
    expect(p.send('AT+COPS=?\r')).toBe('\r\n+CME ERROR: 30\r\n');
  });
});
