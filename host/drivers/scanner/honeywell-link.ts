/**
 * The host side of Honeywell serial commands, over the shared codec in firmware-sim/scanner/honeywell.ts.
 *
 * Configuration is one volatile (`!`) menu sequence that puts the identifiers and the suffix the driver frames
 * on into the scanner's prefix/suffix tables:
 *   PREENA1,CA2,BK299[prefix]5C81 ; SUFENA1,CA2,BK299[suffix] !
 * (5C81 inserts the AIM id, 5C80 the Honeywell Code ID). Clearing before adding makes a resend harmless.
 * Every command must come back with ACK: ENQ (tag unknown to this model) or NAK (value refused) fails the
 * enable with E_FAILURE, errorCodeExtended the status byte, because a scanner left half-configured would
 * send labels the driver frames or identifies wrongly — a silent data error is worse than a refused enable.
 *
 * The reply shares the line with scans, so while one is awaited it is cut out of the stream
 * (findMenuReplyEnd); the bytes around it go to the label framer.
 */
import type { TimerHandle } from '../../../firmware-sim/clock.js';
import {
  HONEYWELL_ALL_SYMBOLOGIES,
  HONEYWELL_INSERT_AIM_ID,
  HONEYWELL_INSERT_CODE_ID,
  HoneywellStorage,
  encodeMenuCommand,
  encodeUntrigger,
  findMenuReplyEnd,
  parseMenuReply,
} from '../../../firmware-sim/scanner/honeywell.js';
import type { HoneywellMenuCommand, HoneywellMenuReply } from '../../../firmware-sim/scanner/honeywell.js';
import type { SerialFramer } from './framing.js';
import { serialLabelFramer } from './link.js';
import type { LinkContext, ScannerLink, SerialLabelFormat } from './link.js';
import { ExtendedFailure, UposError, UposException } from './upos.js';

export interface HoneywellLinkOptions extends SerialLabelFormat {
  /** How long to wait for a menu reply before resending. */
  responseTimeoutMs: number;
  /** Resends after a missing reply before the configuration fails with E_TIMEOUT. */
  retries: number;
  /** More menu commands, sent in the same sequence after the driver's own. */
  menu: HoneywellMenuCommand[];
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex').toUpperCase();

/** The menu sequence that makes the scanner send `[prefix][id][data][suffix]` as the driver expects. */
export function honeywellConfiguration(options: HoneywellLinkOptions): HoneywellMenuCommand[] {
  const id =
    options.symbologyId === 'aim'
      ? HONEYWELL_INSERT_AIM_ID
      : options.symbologyId === 'honeywell'
        ? HONEYWELL_INSERT_CODE_ID
        : '';
  const prefix = hex(options.prefix) + id;
  const suffix = hex(options.suffix);
  const commands: HoneywellMenuCommand[] = [
    { tag: 'PRE', subtag: 'ENA', data: '1' },
    { tag: 'PRE', subtag: 'CA2', data: '' },
  ];
  if (prefix) commands.push({ tag: 'PRE', subtag: 'BK2', data: HONEYWELL_ALL_SYMBOLOGIES + prefix });
  commands.push({ tag: 'SUF', subtag: 'ENA', data: '1' }, { tag: 'SUF', subtag: 'CA2', data: '' });
  if (suffix) commands.push({ tag: 'SUF', subtag: 'BK2', data: HONEYWELL_ALL_SYMBOLOGIES + suffix });
  return [...commands, ...options.menu];
}

interface Awaiting {
  /** The echo's first Tag+SubTag (upper case), to find where the reply starts among other bytes. */
  head: string;
  buf: Buffer;
  done(reply: HoneywellMenuReply | undefined): void;
}

export class HoneywellLink implements ScannerLink {
  private readonly framer: SerialFramer;
  private awaiting: Awaiting | undefined;
  private failPending: ((error: UposException) => void) | undefined;
  private chain: Promise<void> = Promise.resolve();
  private disposed = false;

  constructor(
    private readonly ctx: LinkContext,
    private readonly options: HoneywellLinkOptions,
    onOverflow: (dropped: number) => void,
  ) {
    this.framer = serialLabelFramer(ctx, options, onOverflow);
  }

  receive(chunk: Buffer): void {
    if (this.disposed) return;
    const awaiting = this.awaiting;
    if (!awaiting) {
      this.framer.push(chunk);
      return;
    }
    awaiting.buf = awaiting.buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([awaiting.buf, chunk]);
    const end = findMenuReplyEnd(awaiting.buf);
    if (end < 0) {
      // Bound what a stream of scans (and no reply) can pile up while we wait.
      if (awaiting.buf.length > 64 * 1024) awaiting.buf = awaiting.buf.subarray(awaiting.buf.length - 4096);
      return;
    }
    const upper = awaiting.buf.toString('latin1', 0, end).toUpperCase();
    const start = Math.max(0, upper.indexOf(awaiting.head));
    const before = awaiting.buf.subarray(0, start);
    const reply = parseMenuReply(awaiting.buf.subarray(start, end));
    const after = awaiting.buf.subarray(end);
    this.awaiting = undefined;
    if (before.length > 0) this.framer.push(before);
    awaiting.done(reply);
    if (after.length > 0) this.receive(after);
  }

  configure(): Promise<void> {
    return this.menu(honeywellConfiguration(this.options));
  }

  async enableScanning(): Promise<void> {
    // A Honeywell scanner reads whenever its trigger is pulled; there is no serial "scan enable".
  }

  async disableScanning(): Promise<void> {
    // Ends a host-triggered read, if one runs; labels that still arrive are dropped by the disabled driver.
    await this.ctx.write(encodeUntrigger());
  }

  reset(reason: UposException): void {
    this.framer.reset();
    this.awaiting = undefined;
    this.failPending?.(reason);
  }

  dispose(): void {
    this.disposed = true;
    this.reset(new UposException(UposError.E_CLOSED, 'scanner closed'));
    this.framer.dispose();
  }

  /** Sends one menu sequence and checks that every command was ACKed; sequences never overlap. */
  menu(commands: HoneywellMenuCommand[]): Promise<void> {
    const run = (): Promise<void> => {
      if (this.disposed) return Promise.reject(new UposException(UposError.E_CLOSED, 'scanner closed'));
      return this.transact(commands);
    };
    const result = this.chain.then(run, run);
    this.chain = result.catch(() => {});
    return result;
  }

  private transact(commands: HoneywellMenuCommand[]): Promise<void> {
    const { clock } = this.ctx;
    const bytes = encodeMenuCommand(commands, HoneywellStorage.VOLATILE);
    const head = `${commands[0]?.tag ?? ''}${commands[0]?.subtag ?? ''}`.toUpperCase();
    return new Promise<void>((resolve, reject) => {
      let attempts = 0;
      let timer: TimerHandle | undefined;
      let finished = false;
      const finish = (error?: UposException): void => {
        if (finished) return;
        finished = true;
        clock.clearTimeout(timer);
        this.awaiting = undefined;
        this.failPending = undefined;
        if (error) reject(error);
        else resolve();
      };
      const onReply = (reply: HoneywellMenuReply | undefined): void => {
        if (!reply) {
          finish(new UposException(UposError.E_FAILURE, 'Honeywell menu reply could not be parsed'));
          return;
        }
        const refused = reply.entries.find((e) => e.status !== 'ack');
        if (!refused) {
          finish();
          return;
        }
        const what = `${refused.tag}${refused.subtag}${refused.value}`;
        finish(
          refused.status === 'enq'
            ? new UposException(
                UposError.E_FAILURE,
                `Honeywell menu command ${what}: ENQ (unknown to this scanner)`,
                ExtendedFailure.HONEYWELL_ENQ,
              )
            : new UposException(
                UposError.E_FAILURE,
                `Honeywell menu command ${what}: NAK (value refused)`,
                ExtendedFailure.HONEYWELL_NAK,
              ),
        );
      };
      const attempt = (): void => {
        if (finished) return;
        if (attempts > this.options.retries) {
          finish(
            new UposException(
              UposError.E_TIMEOUT,
              `no reply to Honeywell menu command after ${attempts} attempts`,
            ),
          );
          return;
        }
        attempts++;
        this.awaiting = { head, buf: Buffer.alloc(0), done: onReply };
        clock.clearTimeout(timer);
        timer = clock.setTimeout(attempt, this.options.responseTimeoutMs);
        this.ctx.write(bytes).catch((err: unknown) => {
          finish(new UposException(UposError.E_NOHARDWARE, 'write failed', 0, { cause: err }));
        });
      };
      this.failPending = (error) => finish(error);
      attempt();
    });
  }
}
