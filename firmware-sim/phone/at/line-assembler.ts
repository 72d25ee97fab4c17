/**
 * V.250 §5.2 command-line assembly, one received byte at a time: everything before an "AT" prefix is
 * ignored (line noise, the LF after CR, binary garbage), the line ends at the S3 character, S5 deletes the
 * character before it, "A/" repeats the previous command line at once (§5.2.4). A line longer than the
 * limit is thrown away up to its S3 and reported, so the interpreter can answer ERROR.
 */

export type LineEvent =
  /** A complete command line: the text between "AT" and S3 (control characters removed). */
  | { kind: 'line'; body: string }
  /** "A/": execute the previous command line again. */
  | { kind: 'repeat' }
  /** A line longer than the limit ended; its text is lost. */
  | { kind: 'overflow' };

/** V.250 requires at least 40 characters; +CSIM with a full APDU needs ~540. */
export const DEFAULT_MAX_LINE_LENGTH = 1024;

export class AtLineAssembler {
  private state: 'idle' | 'gotA' | 'body' | 'overflow' = 'idle';
  private body = '';

  constructor(private readonly maxLength = DEFAULT_MAX_LINE_LENGTH) {}

  /** True while a command line has been started ("AT" received) and not yet ended. */
  get inLine(): boolean {
    return this.state === 'body' || this.state === 'overflow';
  }

  /** Forgets any partial line. */
  clear(): void {
    this.state = 'idle';
    this.body = '';
  }

  /** Takes one byte; `s3` and `s5` are the current terminator and backspace characters. */
  push(byte: number, s3: number, s5: number): LineEvent | undefined {
    switch (this.state) {
      case 'idle':
        if (byte === 0x41 || byte === 0x61) this.state = 'gotA';
        return undefined;
      case 'gotA':
        if (byte === 0x54 || byte === 0x74) {
          this.state = 'body';
          this.body = '';
        } else if (byte === 0x2f) {
          this.state = 'idle';
          return { kind: 'repeat' };
        } else if (byte !== 0x41 && byte !== 0x61) {
          this.state = 'idle';
        }
        return undefined;
      case 'body':
        if (byte === s3) {
          const body = this.body;
          this.clear();
          return { kind: 'line', body };
        }
        if (byte === s5) {
          this.body = this.body.slice(0, -1);
          return undefined;
        }
        // Other control characters are not part of a command line (V.250 §5.2.2).
        if (byte < 0x20 || byte === 0x7f) return undefined;
        if (this.body.length >= this.maxLength) {
          this.state = 'overflow';
          this.body = '';
          return undefined;
        }
        this.body += String.fromCharCode(byte);
        return undefined;
      case 'overflow':
        if (byte === s3) {
          this.clear();
          return { kind: 'overflow' };
        }
        return undefined;
    }
  }
}
