/**
 * Framing of what a modem sends (V.250 §5.7, TS 27.005 §3–4): information lines, final result codes,
 * unsolicited result codes (with the PDU line that follows +CMT / +CDS in PDU mode) and the "> " prompt,
 * which has no line end. Pure: bytes in, events out.
 */

export type ModemEvent =
  | { kind: 'line'; text: string }
  | { kind: 'final'; text: string }
  | { kind: 'prompt' }
  | { kind: 'urc'; lines: string[] };

const FINAL =
  /^(OK|ERROR|NO CARRIER|NO DIALTONE|BUSY|NO ANSWER|CONNECT(?: .*)?|\+CME ERROR: ?.*|\+CMS ERROR: ?.*)$/;
/** Codes that are unsolicited whatever command is running; +CMT/+CDS carry a second line in PDU mode. */
const URC = /^(\+CMTI|\+CDSI|\+CBMI|\+CMT|\+CDS|\+CBM|RING|\+CRING|\+CLIP|\+CUSD|\+CIEV|\^\w+):?/;
const TWO_LINE_URC = /^\+CMT: |^\+CDS: \d+$/;

export class ModemLineReader {
  private buffer = '';
  /** A +CMT/+CDS header waiting for its second line. */
  private pendingUrc: string | undefined;

  /** Bytes from the modem (a chunk of any size); returns the events they complete. */
  push(bytes: Uint8Array): ModemEvent[] {
    this.buffer += Buffer.from(bytes).toString('latin1');
    const events: ModemEvent[] = [];
    for (;;) {
      // A prompt is "\r\n> " (or "> " after an echo) without a line end.
      const trimmed = this.buffer.replace(/^[\r\n]+/, '');
      if (trimmed.startsWith('> ') && this.pendingUrc === undefined) {
        this.buffer = trimmed.slice(2);
        events.push({ kind: 'prompt' });
        continue;
      }
      const m = /\r\n|\r|\n/.exec(this.buffer);
      if (!m) break;
      // "\r" at the very end might be the first half of "\r\n": wait for the next byte.
      if (m[0] === '\r' && m.index === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, m.index);
      this.buffer = this.buffer.slice(m.index + m[0].length);
      if (line.length === 0) continue;
      events.push(...this.line(line));
    }
    return events;
  }

  private line(text: string): ModemEvent[] {
    if (this.pendingUrc !== undefined) {
      const head = this.pendingUrc;
      this.pendingUrc = undefined;
      return [{ kind: 'urc', lines: [head, text] }];
    }
    if (FINAL.test(text)) return [{ kind: 'final', text }];
    if (TWO_LINE_URC.test(text)) {
      this.pendingUrc = text;
      return [];
    }
    if (URC.test(text)) return [{ kind: 'urc', lines: [text] }];
    return [{ kind: 'line', text }];
  }
}

/** A +CMS / +CME error code of a final result, or undefined. */
export function errorCode(final: string): { kind: 'cms' | 'cme'; code: number } | undefined {
  const m = /^\+(CMS|CME) ERROR: ?(\d+)$/.exec(final);
  return m ? { kind: m[1] === 'CMS' ? 'cms' : 'cme', code: Number(m[2]) } : undefined;
}
