/**
 * `benchtwin card read`: everything a terminal can read from a SIM/UICC, as one JSON-ready structure, and
 * its text form. Each item is read on its own: a file the card protects or lacks becomes an error in its
 * field, not a failed report. Works over any transport (PC/SC reader, later AT+CSIM).
 */
import { describeStatusWord } from '../../../firmware-sim/uim/codecs.js';
import type { ApduTransport } from './channel.js';
import { hasPaymentDf, readPaymentDf } from './payment-df.js';
import { CardStatusError, SimReader } from './sim-reader.js';
import type { CommandClass, PinState } from './sim-reader.js';
import { hexOf } from './t0.js';

export type ReportField<T> =
  | { ok: true; value: T }
  | {
      ok: false;
      error: string;
      /** The status word, hex, when the card refused. */
      sw?: string;
      /** The card wants the PIN verified first. */
      needsPin?: boolean;
    };

export interface ReportPin {
  triesLeft?: number;
  verified: boolean;
  enabled?: boolean;
  blocked: boolean;
  sw: string;
}

export interface ReportPhoneBookEntry {
  record: number;
  name: string;
  number: string;
}

export interface ReportPaymentDf {
  deviceId: string;
  gatewayUrl: string;
  users: Array<{ record: number; userId: string; label: string }>;
  authResult: null | {
    userRecord: number;
    userId: string;
    /** ISO 8601 (UTC). */
    issuedAt: string;
    expiresAt: string;
    sequence: number;
    /** HMAC-SHA-256 in hex, absent when the card has no authentication key. */
    mac?: string;
  };
}

export interface CardReport {
  reader?: string;
  atr?: string;
  protocol?: string;
  commandClass: CommandClass;
  iccid: ReportField<string>;
  imsi: ReportField<string>;
  msisdn: ReportField<string[]>;
  spn: ReportField<string>;
  phoneBook: ReportField<ReportPhoneBookEntry[]>;
  /** The PIN's state before any VERIFY of this report. */
  pin: ReportField<ReportPin>;
  /** The VERIFY done with options.pin, and the state after it. */
  pinVerification?: ReportField<ReportPin & { ok: boolean }>;
  /** Read only with a PIN; absent without one. */
  paymentDf?: ReportField<ReportPaymentDf>;
}

export interface CardReportOptions {
  /** Verify this PIN (CHV1 / PIN Appl 1) first, then read the protected files and the payment DF. */
  pin?: string;
  /** For the report's header. */
  readerName?: string;
}

/** A transport, optionally with what a PC/SC CardChannel also knows. */
export type ReportChannel = ApduTransport & {
  readonly atr?: Uint8Array;
  readonly protocol?: string;
  readonly readerName?: string;
};

export async function readCardReport(
  channel: ReportChannel,
  options: CardReportOptions = {},
): Promise<CardReport> {
  const reader = new SimReader(channel);
  const commandClass = await reader.commandClass();
  const report: CardReport = {
    commandClass,
    iccid: await field(() => reader.readIccid()),
    imsi: { ok: false, error: 'not read' },
    msisdn: { ok: false, error: 'not read' },
    spn: { ok: false, error: 'not read' },
    phoneBook: { ok: false, error: 'not read' },
    pin: await field(async () => pinOf(await reader.pinStatus())),
  };
  const readerName = options.readerName ?? channel.readerName;
  if (readerName !== undefined) report.reader = readerName;
  if (channel.atr) report.atr = hexOf(channel.atr);
  if (channel.protocol) report.protocol = channel.protocol;

  let verified = report.pin.ok && report.pin.value.verified;
  if (options.pin !== undefined) {
    const pin = options.pin;
    if (report.pin.ok && report.pin.value.blocked) {
      report.pinVerification = { ok: false, error: 'the PIN is blocked: not verified (it needs the PUK)' };
    } else {
      report.pinVerification = await field(async () => {
        const r = await reader.verifyPin(pin);
        return { ...pinOf(r), ok: r.ok };
      });
      if (report.pinVerification.ok && report.pinVerification.value.ok) verified = true;
    }
  }

  report.spn = await field(async () => (await reader.readSpn()).name);
  report.imsi = await field(() => reader.readImsi());
  report.msisdn = await field(async () => (await reader.readMsisdn()).map((n) => n.number));
  report.phoneBook = await field(async () =>
    (await reader.readPhoneBook()).map((e) => ({ record: e.record, name: e.alpha, number: e.number })),
  );
  if (options.pin !== undefined) {
    report.paymentDf = verified
      ? await field(async () => {
          if (!(await hasPaymentDf(reader))) throw new Error('the card has no payment DF');
          return paymentOf(await readPaymentDf(reader));
        })
      : { ok: false, error: 'the PIN is not verified', needsPin: true };
  }
  return report;
}

async function field<T>(read: () => Promise<T>): Promise<ReportField<T>> {
  try {
    return { ok: true, value: await read() };
  } catch (err) {
    if (err instanceof CardStatusError) {
      return {
        ok: false,
        error: err.notFound ? 'not on this card' : err.message,
        sw: hex4(err.sw),
        ...(err.needsPin ? { needsPin: true } : {}),
      };
    }
    // Contents that do not decode are the field's problem; a transport failure (PcscError: reader
    // unplugged, pcscd gone; ApduProtocolError) ends the whole report.
    if (err instanceof Error && err.name === 'Error') return { ok: false, error: err.message };
    throw err;
  }
}

function pinOf(p: PinState): ReportPin {
  const out: ReportPin = { verified: p.verified, blocked: p.blocked, sw: hex4(p.sw) };
  if (p.triesLeft !== undefined) out.triesLeft = p.triesLeft;
  if (p.enabled !== undefined) out.enabled = p.enabled;
  return out;
}

function paymentOf(df: Awaited<ReturnType<typeof readPaymentDf>>): ReportPaymentDf {
  const a = df.authResult;
  return {
    deviceId: df.deviceId,
    gatewayUrl: df.gatewayUrl,
    users: df.users.map((u) => ({ record: u.record, userId: u.userId, label: u.label })),
    authResult: a
      ? {
          userRecord: a.userRecord,
          userId: a.userId,
          issuedAt: isoTime(a.issuedAt),
          expiresAt: isoTime(a.expiresAt),
          sequence: a.sequence,
          ...(a.mac ? { mac: hexOf(a.mac) } : {}),
        }
      : null,
  };
}

function isoTime(unixS: number): string {
  const d = new Date(unixS * 1000);
  return Number.isNaN(d.getTime()) ? String(unixS) : d.toISOString();
}

function hex4(n: number): string {
  return n.toString(16).toUpperCase().padStart(4, '0');
}

// ---------------------------------------------------------------------------------------------------------
// Text
// ---------------------------------------------------------------------------------------------------------

const LABEL_WIDTH = 15;

function line(label: string, value: string): string {
  return `${`${label}:`.padEnd(LABEL_WIDTH)}${value}`;
}

function show<T>(f: ReportField<T>, render: (v: T) => string): string {
  if (f.ok) return render(f.value);
  if (f.needsPin) return `(needs the PIN${f.sw ? `, SW ${f.sw}` : ''})`;
  return `(${f.error}${f.sw && !f.error.includes(f.sw) ? `, SW ${f.sw}` : ''})`;
}

function pinText(p: ReportPin): string {
  if (p.blocked) return 'blocked (needs the PUK)';
  if (p.enabled === false) return 'disabled';
  const tries =
    p.triesLeft === undefined ? '' : `${p.triesLeft} ${p.triesLeft === 1 ? 'try' : 'tries'} left, `;
  return `${tries}${p.verified ? 'verified' : 'not verified'}`;
}

/** The report as text for a terminal, one item per line. */
export function formatCardReport(report: CardReport): string {
  const out: string[] = [];
  if (report.reader !== undefined) out.push(line('Reader', report.reader));
  if (report.atr !== undefined) out.push(line('ATR', report.atr));
  if (report.protocol !== undefined) out.push(line('Protocol', report.protocol));
  out.push(line('Command class', report.commandClass === 'uicc' ? 'UICC (CLA 00)' : 'GSM SIM (CLA A0)'));
  out.push(
    line(
      'ICCID',
      show(report.iccid, (v) => v),
    ),
  );
  out.push(
    line(
      'IMSI',
      show(report.imsi, (v) => v),
    ),
  );
  out.push(
    line(
      'MSISDN',
      show(report.msisdn, (v) => (v.length ? v.join(', ') : '(none)')),
    ),
  );
  out.push(
    line(
      'SPN',
      show(report.spn, (v) => v || '(empty)'),
    ),
  );
  out.push(line('PIN', show(report.pin, pinText)));
  if (report.pinVerification) {
    const v = report.pinVerification;
    out.push(
      line(
        'PIN check',
        v.ok
          ? v.value.ok
            ? 'correct'
            : `wrong (${describeStatusWord(parseInt(v.value.sw, 16))}); ${pinText(v.value)}`
          : `(${v.error})`,
      ),
    );
  }
  out.push(
    line(
      'Phone book',
      show(report.phoneBook, (v) => `${v.length} ${v.length === 1 ? 'entry' : 'entries'}`),
    ),
  );
  if (report.phoneBook.ok) {
    const width = Math.max(0, ...report.phoneBook.value.map((e) => e.name.length));
    for (const e of report.phoneBook.value) {
      out.push(`  ${String(e.record).padStart(3)}  ${e.name.padEnd(width)}  ${e.number}`);
    }
  }
  if (report.paymentDf) {
    const p = report.paymentDf;
    if (!p.ok)
      out.push(
        line(
          'Payment DF',
          show(p, () => ''),
        ),
      );
    else {
      out.push('Payment DF:');
      out.push(line('  Device id', p.value.deviceId));
      out.push(line('  Gateway URL', p.value.gatewayUrl));
      out.push(line('  Users', p.value.users.length ? '' : '(none)').trimEnd());
      for (const u of p.value.users) out.push(`  ${String(u.record).padStart(3)}  ${u.userId}  ${u.label}`);
      const a = p.value.authResult;
      out.push(
        line(
          '  Last auth',
          a
            ? `${a.userId} (record ${a.userRecord}), issued ${a.issuedAt}, expires ${a.expiresAt}, ` +
                `sequence ${a.sequence}${a.mac ? '' : ', no MAC'}`
            : '(none)',
        ),
      );
    }
  }
  return out.join('\n');
}
