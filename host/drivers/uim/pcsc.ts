/**
 * PC/SC on the host: the readers pcscd knows, and connections to the cards in them. Real USB readers and
 * the emulated UIM in "Virtual PCD 00 0n" (devices/smartcard/vpcd.ts) look the same from here.
 *
 * The binding is the npm package `smartcard` (N-API over libpcsclite). It is an optional dependency built
 * from source against libpcsclite-dev, so `npm ci` succeeds on machines without the headers; it is loaded
 * on first use, and a missing build becomes a PcscUnavailableError that says how to get it.
 */
import { createRequire } from 'node:module';
import type { ApduTransport, CardChannel, CardDisposition, CardProtocol } from './channel.js';
import { PcscWorker } from './pcsc-worker.js';

export type { ApduTransport, CardChannel, CardDisposition, CardProtocol } from './channel.js';

// ---------------------------------------------------------------------------------------------------------
// The part of the `smartcard` package used here, typed locally: the package may be absent at type-check
// time on a machine where its optional build failed.
// ---------------------------------------------------------------------------------------------------------

interface NativeCardStatus {
  state: number;
  protocol: number;
  atr: Buffer;
}

interface NativeCard {
  readonly protocol: number;
  readonly connected: boolean;
  readonly atr: Buffer | null;
  transmit(command: Buffer, options?: { maxRecvLength?: number }): Promise<Buffer>;
  getStatus(): NativeCardStatus;
  disconnect(disposition?: number): void;
  reconnect(shareMode?: number, protocol?: number, initialization?: number): Promise<number>;
}

interface NativeReader {
  readonly name: string;
  readonly state: number;
  readonly atr: Buffer | null;
  connect(shareMode?: number, protocol?: number): Promise<NativeCard>;
}

interface NativeContext {
  readonly isValid: boolean;
  listReaders(): NativeReader[];
  close(): void;
}

interface SmartcardModule {
  Context: new () => NativeContext;
  SCARD_SHARE_EXCLUSIVE: number;
  SCARD_SHARE_SHARED: number;
  SCARD_SHARE_DIRECT: number;
  SCARD_PROTOCOL_T0: number;
  SCARD_PROTOCOL_T1: number;
  SCARD_PROTOCOL_RAW: number;
  SCARD_PROTOCOL_UNDEFINED: number;
  SCARD_LEAVE_CARD: number;
  SCARD_RESET_CARD: number;
  SCARD_UNPOWER_CARD: number;
  SCARD_STATE_UNKNOWN: number;
  SCARD_STATE_UNAVAILABLE: number;
  SCARD_STATE_EMPTY: number;
  SCARD_STATE_PRESENT: number;
  SCARD_STATE_EXCLUSIVE: number;
  SCARD_STATE_INUSE: number;
  SCARD_STATE_MUTE: number;
}

/** PC/SC cannot be used on this machine: the binding is not built or libpcsclite is missing. */
export class PcscUnavailableError extends Error {
  override readonly name = 'PcscUnavailableError';
}

/** Every binding call runs on this worker thread (see pcsc-worker.ts for why). */
const worker = new PcscWorker(import.meta.url);

let binding: SmartcardModule | undefined;
let bindingError: PcscUnavailableError | undefined;

/** Loads the binding once; throws PcscUnavailableError with the way to fix it. */
export function loadPcscBinding(): SmartcardModule {
  if (binding) return binding;
  if (bindingError) throw bindingError;
  try {
    binding = createRequire(import.meta.url)('smartcard') as SmartcardModule;
    return binding;
  } catch (err) {
    bindingError = bindingUnavailable(err);
    throw bindingError;
  }
}

/** The error that says why the binding did not load and what to install. */
export function bindingUnavailable(err: unknown): PcscUnavailableError {
  const e = err as NodeJS.ErrnoException;
  const detail = (e instanceof Error ? e.message : String(err)).split('\n')[0] ?? '';
  if (e.code === 'MODULE_NOT_FOUND' && /'smartcard'/.test(detail)) {
    return new PcscUnavailableError(
      "PC/SC support needs the optional package 'smartcard', which is built against libpcsclite when " +
        'npm installs it: install libpcsclite-dev (Debian/Ubuntu: apt-get install libpcsclite-dev pcscd) ' +
        'and re-run npm ci',
    );
  }
  if (/libpcsclite/.test(detail)) {
    return new PcscUnavailableError(
      `PC/SC support needs libpcsclite (Debian/Ubuntu: apt-get install libpcsclite1 pcscd): ${detail}`,
    );
  }
  return new PcscUnavailableError(
    `PC/SC support could not load its binding 'smartcard' (${detail}): install libpcsclite-dev and re-run npm ci`,
  );
}

/** True when the binding loads (tests use it to skip with a reason). */
export function pcscAvailable(): boolean {
  try {
    loadPcscBinding();
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------------------

export type PcscErrorCode =
  | 'no-service'
  | 'service-stopped'
  | 'no-readers'
  | 'unknown-reader'
  | 'no-card'
  | 'card-removed'
  | 'card-reset'
  | 'unresponsive-card'
  | 'unpowered-card'
  | 'unsupported-card'
  | 'sharing-violation'
  | 'reader-unavailable'
  | 'protocol-mismatch'
  | 'timeout'
  | 'communication-error'
  | 'not-connected'
  | 'other';

/** A PC/SC failure with a stable code and a message that says what to do about it. */
export class PcscError extends Error {
  override readonly name = 'PcscError';
  readonly code: PcscErrorCode;
  /** The binding's own message (the SCARD_E_… text). */
  readonly pcscMessage: string;

  constructor(code: PcscErrorCode, message: string, pcscMessage: string) {
    super(message);
    this.code = code;
    this.pcscMessage = pcscMessage;
  }
}

const ERRORS: ReadonlyArray<[RegExp, PcscErrorCode, (reader: string) => string]> = [
  [
    /service not running/i,
    'no-service',
    () => 'pcscd is not running: start it (pcscd, or systemctl start pcscd.socket)',
  ],
  [/service stopped/i, 'service-stopped', () => 'pcscd stopped during the operation'],
  [/no readers available/i, 'no-readers', () => 'no smart-card reader is connected'],
  [/unknown reader/i, 'unknown-reader', (r) => `there is no reader named "${r}"`],
  [/no smart card present/i, 'no-card', (r) => `there is no card in "${r}"`],
  [/card was removed/i, 'card-removed', (r) => `the card was removed from "${r}"`],
  [/card was reset/i, 'card-reset', (r) => `the card in "${r}" was reset by another application`],
  [
    /unresponsive/i,
    'unresponsive-card',
    (r) => `the card in "${r}" does not answer (mute): inserted the wrong way, or not a smart card`,
  ],
  [/unpowered/i, 'unpowered-card', (r) => `the card in "${r}" is not powered`],
  [/not supported|unknown card/i, 'unsupported-card', (r) => `the card in "${r}" is not supported`],
  [
    /sharing violation/i,
    'sharing-violation',
    (r) => `another application holds the card in "${r}" exclusively`,
  ],
  [/reader unavailable/i, 'reader-unavailable', (r) => `the reader "${r}" is not available (unplugged?)`],
  [
    /protocol mismatch/i,
    'protocol-mismatch',
    (r) => `the card in "${r}" does not speak the requested protocol`,
  ],
  [/timed out/i, 'timeout', (r) => `the operation on "${r}" timed out`],
  [/communication error/i, 'communication-error', (r) => `communication with "${r}" failed`],
  [/not connected|invalid handle|context is not valid/i, 'not-connected', (r) => `not connected to "${r}"`],
];

/** Maps an error from the binding to a PcscError (other errors pass through unchanged). */
export function toPcscError(err: unknown, readerName = ''): Error {
  if (err instanceof PcscError || err instanceof PcscUnavailableError) return err;
  const raw = err instanceof Error ? err.message : String(err);
  for (const [pattern, code, text] of ERRORS) {
    if (pattern.test(raw)) return new PcscError(code, `PC/SC: ${text(readerName)} (${raw})`, raw);
  }
  return new PcscError('other', `PC/SC: ${raw}${readerName ? ` (reader "${readerName}")` : ''}`, raw);
}

// ---------------------------------------------------------------------------------------------------------
// Readers
// ---------------------------------------------------------------------------------------------------------

export interface ReaderInfo {
  name: string;
  /** A card is in the reader (it may still be mute). */
  cardPresent: boolean;
  /** The card answered the reset with no ATR pcscd could use. */
  mute: boolean;
  /** Some application has a connection to the card (exclusive: one holds it alone). */
  inUse: boolean;
  exclusive: boolean;
  /** The card's ATR, when a card is present. */
  atr?: Uint8Array;
  /** The raw SCARD_STATE_* bits (pcsc-lite keeps an event counter in the upper 16 bits). */
  state: number;
}

function readerInfo(pcsc: SmartcardModule, r: NativeReader): ReaderInfo {
  const s = r.state;
  const cardPresent = (s & pcsc.SCARD_STATE_PRESENT) !== 0;
  const info: ReaderInfo = {
    name: r.name,
    cardPresent,
    mute: (s & pcsc.SCARD_STATE_MUTE) !== 0,
    inUse: (s & pcsc.SCARD_STATE_INUSE) !== 0,
    exclusive: (s & pcsc.SCARD_STATE_EXCLUSIVE) !== 0,
    state: s,
  };
  if (cardPresent && r.atr && r.atr.length > 0) info.atr = new Uint8Array(r.atr);
  return info;
}

/** The readers pcscd knows now, with their cards. An empty list when none is connected. */
export async function listReaders(): Promise<ReaderInfo[]> {
  const pcsc = loadPcscBinding();
  try {
    const raw = await worker.call<{ name: string; state: number; atr: Uint8Array | null }[]>('list');
    return raw.map((r) => readerInfo(pcsc, { ...r, atr: r.atr ? Buffer.from(r.atr) : null } as NativeReader));
  } catch (err) {
    throw toPcscError(err);
  }
}

export interface WaitOptions {
  timeoutMs?: number;
  /** How often to look (pcscd itself polls vpcd and most readers every few hundred ms). */
  pollMs?: number;
}

async function waitForReader(
  what: string,
  readerName: string,
  predicate: (reader: ReaderInfo | undefined) => boolean,
  options: WaitOptions,
): Promise<ReaderInfo | undefined> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const pollMs = options.pollMs ?? 50;
  const start = Date.now();
  let last: ReaderInfo | undefined;
  let lastError: Error | undefined;
  for (;;) {
    try {
      last = (await listReaders()).find((r) => r.name === readerName);
      lastError = undefined;
      if (predicate(last)) return last;
    } catch (err) {
      // pcscd may be restarting: keep looking until the deadline.
      if (err instanceof PcscUnavailableError) throw err;
      lastError = err as Error;
    }
    if (Date.now() - start >= timeoutMs) {
      const seen = lastError ? lastError.message : last ? describeReader(last) : 'no such reader';
      throw new PcscError(
        'timeout',
        `PC/SC: gave up after ${timeoutMs} ms waiting for ${what} (${seen})`,
        '',
      );
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

function describeReader(r: ReaderInfo): string {
  if (!r.cardPresent) return `"${r.name}" is empty`;
  return `"${r.name}" has a card${r.atr ? ` with ATR ${hexOf(r.atr)}` : ''}${r.mute ? ' (mute)' : ''}`;
}

/** Waits until a card (with this ATR, when given) is in the reader. */
export async function waitForCard(
  readerName: string,
  options: WaitOptions & { atr?: Uint8Array } = {},
): Promise<ReaderInfo> {
  const want = options.atr;
  const what = `a card${want ? ` with ATR ${hexOf(want)}` : ''} in "${readerName}"`;
  const found = await waitForReader(
    what,
    readerName,
    (r) => !!r?.cardPresent && !r.mute && (!want || (!!r.atr && sameBytes(r.atr, want))),
    options,
  );
  return found!;
}

/** Waits until the reader is empty (or gone). */
export async function waitForCardRemoval(readerName: string, options: WaitOptions = {}): Promise<void> {
  await waitForReader(`"${readerName}" to be empty`, readerName, (r) => !r?.cardPresent, options);
}

/**
 * Confirms through PC/SC where a card is: the name of the reader that holds a card with this ATR. With
 * `expectedName` (e.g. VpcdBridge.readerName), waits for that reader to hold it. Rejects after the timeout.
 */
export async function findReaderWithAtr(
  atr: Uint8Array,
  options: WaitOptions & { expectedName?: string } = {},
): Promise<string> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const start = Date.now();
  for (;;) {
    let readers: ReaderInfo[] = [];
    try {
      readers = await listReaders();
    } catch (err) {
      if (err instanceof PcscUnavailableError) throw err;
    }
    const holding = readers.filter((r) => r.cardPresent && r.atr && sameBytes(r.atr, atr));
    const pick = options.expectedName ? holding.find((r) => r.name === options.expectedName) : holding[0];
    if (pick) return pick.name;
    if (Date.now() - start >= timeoutMs) {
      const seen = readers.map(describeReader).join('; ') || 'no readers';
      throw new PcscError(
        'timeout',
        `PC/SC: no reader holds a card with ATR ${hexOf(atr)} after ${timeoutMs} ms (${seen})`,
        '',
      );
    }
    await new Promise((r) => setTimeout(r, options.pollMs ?? 50));
  }
}

// ---------------------------------------------------------------------------------------------------------
// Connections
// ---------------------------------------------------------------------------------------------------------

export type ShareMode = 'shared' | 'exclusive' | 'direct';

export interface ConnectOptions {
  /** Default 'shared': other applications (pcsc_scan, opensc-tool) may use the card between commands. */
  shareMode?: ShareMode;
  /** Acceptable protocols; default T=0 or T=1, whichever the card offers. */
  protocol?: 'T0' | 'T1' | 'any';
  /** Largest response expected, SW included (default 65538: extended Le). */
  maxResponseLength?: number;
}

/** Connects to the card in `readerName`. The connection owns its PC/SC context until disconnect(). */
export async function connect(readerName: string, options: ConnectOptions = {}): Promise<CardChannel> {
  const pcsc = loadPcscBinding();
  const share = shareModeValue(pcsc, options.shareMode ?? 'shared');
  const protocols = protocolMask(pcsc, options.protocol ?? 'any');
  let res: ConnectResult;
  try {
    res = await worker.call<ConnectResult>('connect', { reader: readerName, share, protocols });
  } catch (err) {
    throw toPcscError(err, readerName);
  }
  if ('unknownReader' in res) {
    const names = res.readers.map((r) => `"${r}"`).join(', ') || 'none';
    throw new PcscError(
      'unknown-reader',
      `PC/SC: there is no reader named "${readerName}" (readers: ${names})`,
      'Unknown reader',
    );
  }
  return new PcscCardChannel(pcsc, res, readerName, share, protocols, options.maxResponseLength);
}

type CardStatus = { atr: Uint8Array; protocol: number };
type ConnectResult = ({ handle: number } & CardStatus) | { unknownReader: true; readers: string[] };

function shareModeValue(pcsc: SmartcardModule, mode: ShareMode): number {
  return mode === 'exclusive'
    ? pcsc.SCARD_SHARE_EXCLUSIVE
    : mode === 'direct'
      ? pcsc.SCARD_SHARE_DIRECT
      : pcsc.SCARD_SHARE_SHARED;
}

function protocolMask(pcsc: SmartcardModule, p: 'T0' | 'T1' | 'any'): number {
  if (p === 'T0') return pcsc.SCARD_PROTOCOL_T0;
  if (p === 'T1') return pcsc.SCARD_PROTOCOL_T1;
  return pcsc.SCARD_PROTOCOL_T0 | pcsc.SCARD_PROTOCOL_T1;
}

function dispositionValue(pcsc: SmartcardModule, d: CardDisposition): number {
  return d === 'reset'
    ? pcsc.SCARD_RESET_CARD
    : d === 'unpower'
      ? pcsc.SCARD_UNPOWER_CARD
      : pcsc.SCARD_LEAVE_CARD;
}

class PcscCardChannel implements CardChannel {
  readonly readerName: string;
  private readonly pcsc: SmartcardModule;
  private readonly handle: number;
  private readonly share: number;
  private readonly protocols: number;
  private readonly maxRecvLength: number;
  private currentAtr: Uint8Array;
  private currentProtocol: number;
  private open = true;
  /** Commands go out one at a time, in order: a GET RESPONSE must follow its command directly. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    pcsc: SmartcardModule,
    card: { handle: number } & CardStatus,
    readerName: string,
    share: number,
    protocols: number,
    maxResponseLength = 65_538,
  ) {
    this.pcsc = pcsc;
    this.handle = card.handle;
    this.readerName = readerName;
    this.share = share;
    this.protocols = protocols;
    this.maxRecvLength = maxResponseLength;
    this.currentAtr = new Uint8Array(card.atr);
    this.currentProtocol = card.protocol;
  }

  get atr(): Uint8Array {
    return this.currentAtr;
  }

  get protocol(): CardProtocol {
    const p = this.currentProtocol;
    if (p === this.pcsc.SCARD_PROTOCOL_T0) return 'T0';
    if (p === this.pcsc.SCARD_PROTOCOL_T1) return 'T1';
    if (p === this.pcsc.SCARD_PROTOCOL_RAW) return 'RAW';
    return 'undefined';
  }

  get connected(): boolean {
    return this.open;
  }

  transmit(command: Uint8Array): Promise<Uint8Array> {
    return this.serial(async () => {
      this.assertOpen();
      try {
        const response = await worker.call<Uint8Array>('transmit', {
          handle: this.handle,
          command: Uint8Array.from(command),
          maxRecvLength: this.maxRecvLength,
        });
        return new Uint8Array(response);
      } catch (err) {
        throw toPcscError(err, this.readerName);
      }
    });
  }

  reset(kind: 'reset' | 'unpower' = 'reset'): Promise<Uint8Array> {
    return this.serial(async () => {
      this.assertOpen();
      try {
        const status = await worker.call<CardStatus>('reconnect', {
          handle: this.handle,
          share: this.share,
          protocols: this.protocols,
          initialization: dispositionValue(this.pcsc, kind),
        });
        this.currentAtr = new Uint8Array(status.atr);
        this.currentProtocol = status.protocol;
      } catch (err) {
        throw toPcscError(err, this.readerName);
      }
      return this.currentAtr;
    });
  }

  disconnect(disposition: CardDisposition = 'leave'): Promise<void> {
    return this.serial(async () => {
      if (!this.open) return;
      this.open = false;
      await worker
        .call('disconnect', { handle: this.handle, disposition: dispositionValue(this.pcsc, disposition) })
        .catch(() => undefined);
    });
  }

  private assertOpen(): void {
    if (!this.open) {
      throw new PcscError('not-connected', `PC/SC: the connection to "${this.readerName}" is closed`, '');
    }
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function hexOf(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex').toUpperCase();
}

/** A transport over an open channel that logs each exchange (for --verbose and transcripts). */
export function loggingTransport(
  transport: ApduTransport,
  log: (command: Uint8Array, response: Uint8Array | Error) => void,
): ApduTransport {
  return {
    async transmit(command) {
      try {
        const response = await transport.transmit(command);
        log(command, response);
        return response;
      } catch (err) {
        log(command, err as Error);
        throw err;
      }
    },
  };
}
