/**
 * The scanner firmware: bytes from the host in, bytes to the host out, a symbol in the field of view, a
 * trigger, a beeper and an LED. Vendor behaviour comes from the profile's command set (Honeywell menu
 * commands or Zebra SSI); decoding is injected (DecodeFn). Pure and deterministic: time is the clock's.
 */
import type { Clock, TimerHandle } from '../clock.js';
import type { BeepKind, FirmwareServices, LedState, TriggerMode } from './command-set.js';
import { HoneywellCommandSet } from './honeywell-commands.js';
import type { ScannerProfile } from './profile.js';
import type { ScannerNvram, SettingsTable } from './settings.js';
import { SsiCommandSet } from './ssi-decoder.js';
import type { DecodeFn, DecodedSymbol, ScanInput } from './types.js';

export type { BeepKind, LedState, TriggerMode } from './command-set.js';

export interface ScannerFirmwareOptions {
  profile: ScannerProfile;
  clock: Clock;
  decode: DecodeFn;
  /** Non-volatile table storage; without it every change is lost at power cycle. */
  nvram?: ScannerNvram;
  /** Called with every chunk the scanner puts on the wire (same as `on('transmit')`). */
  transmit?: (bytes: Uint8Array) => void;
}

/**
 * Why a read attempt gave nothing: no symbol decoded; scanning disabled by the host; the symbology is
 * turned off; the hardware trigger is not used in this trigger mode.
 */
export type ScanFailure = 'no-read' | 'disabled' | 'symbology-disabled' | 'trigger-ignored';

export type ScanResult =
  | {
      read: true;
      symbol: DecodedSymbol;
      /** The formatted message: prefix, identifier, data, suffix (for packeted SSI, the DECODE_DATA payload). */
      bytes: Uint8Array;
    }
  | { read: false; reason: ScanFailure };

export interface BeeperState {
  /** 0 off … 3 high, from the current settings. */
  volume: number;
  /** Beeps sounded since power-on. */
  count: number;
  last: BeepKind | undefined;
}

export type ScannerEvent =
  | { type: 'transmit'; bytes: Uint8Array }
  | { type: 'beep'; kind: BeepKind; volume: number }
  | { type: 'led'; state: LedState }
  | { type: 'read'; symbol: DecodedSymbol; bytes: Uint8Array }
  | { type: 'session-timeout' }
  | { type: 'transmit-error' };

type Listener<T extends ScannerEvent['type']> = (event: Extract<ScannerEvent, { type: T }>) => void;

interface Session {
  source: 'hardware' | 'host';
  timer: TimerHandle | undefined;
}

export class ScannerFirmware {
  readonly profile: ScannerProfile;
  private readonly clock: Clock;
  private readonly decode: DecodeFn;
  private readonly commands: HoneywellCommandSet | SsiCommandSet;
  private readonly listeners = new Map<string, Set<(e: ScannerEvent) => void>>();
  private presented: ScanInput | undefined;
  private session: Session | undefined;
  private enabled = true;
  private beeps: BeeperState = { volume: 0, count: 0, last: undefined };
  private engineLed: LedState = 'off';
  private hostLedState: LedState | undefined;
  private ledTimer: TimerHandle | undefined;
  private txQueue: Uint8Array[] = [];
  private txTimer: TimerHandle | undefined;
  private poweredOff = false;

  constructor(options: ScannerFirmwareOptions) {
    this.profile = options.profile;
    this.clock = options.clock;
    this.decode = options.decode;
    if (options.transmit) this.on('transmit', (e) => options.transmit?.(e.bytes));
    const services: FirmwareServices = {
      clock: this.clock,
      profile: this.profile,
      nvram: options.nvram,
      send: (bytes) => this.send(bytes),
      hostTrigger: (ms) => this.hostTrigger(ms),
      hostUntrigger: () => this.endSession(),
      beep: (kind) => this.beep(kind),
      hostLed: (state) => this.setHostLed(state),
      setScanEnabled: (on) => {
        this.enabled = on;
        if (!on) this.endSession();
      },
      transmitFailed: () => {
        this.beep('transmit-error');
        this.flashLed('red');
        this.emit({ type: 'transmit-error' });
      },
    };
    this.commands =
      this.profile.commandSet === 'honeywell'
        ? new HoneywellCommandSet(services)
        : new SsiCommandSet(services);
  }

  // --- the wire -------------------------------------------------------------------------------------------

  /** Bytes from the host. */
  receive(bytes: Uint8Array): void {
    if (this.poweredOff) return;
    this.commands.receive(bytes);
  }

  on<T extends ScannerEvent['type']>(type: T, listener: Listener<T>): () => void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    const l = listener as (e: ScannerEvent) => void;
    set.add(l);
    return () => set.delete(l);
  }

  // --- the user's side ------------------------------------------------------------------------------------

  /** Puts a symbol (or an image) in the field of view; undefined takes it away. Reads at once if reading. */
  present(input: ScanInput | undefined): ScanResult | undefined {
    this.presented = input;
    if (!input || this.poweredOff) return undefined;
    if (!this.enabled)
      return this.triggerMode === 'presentation' ? { read: false, reason: 'disabled' } : undefined;
    if (this.session || this.triggerMode === 'presentation') return this.attemptRead();
    return undefined;
  }

  /** Hardware trigger pressed: reads while held, until a good read or untrigger(). */
  trigger(): ScanResult {
    if (this.poweredOff || !this.enabled) return { read: false, reason: 'disabled' };
    if (this.triggerMode === 'serial') return { read: false, reason: 'trigger-ignored' };
    this.startSession('hardware', 0);
    return this.attemptRead();
  }

  /** Hardware trigger released. */
  untrigger(): void {
    if (this.session?.source === 'hardware') this.endSession();
  }

  /** Present, pull the trigger (unless in presentation mode), release, take the symbol away. */
  scan(input: ScanInput): ScanResult {
    let result: ScanResult;
    if (this.triggerMode === 'presentation') {
      result = this.present(input) ?? { read: false, reason: 'disabled' };
    } else {
      this.presented = input;
      result = this.trigger();
      this.untrigger();
    }
    this.presented = undefined;
    return result;
  }

  /** Power off: timers stop, RAM settings are lost (a new ScannerFirmware with the same nvram powers on). */
  powerOff(): void {
    this.poweredOff = true;
    this.endSession();
    this.commands.dispose();
    this.clock.clearTimeout(this.ledTimer);
    this.clock.clearTimeout(this.txTimer);
    this.txQueue = [];
  }

  // --- observation --------------------------------------------------------------------------------------

  get beeper(): BeeperState {
    return { ...this.beeps, volume: this.commands.beeperVolume() };
  }

  get led(): LedState {
    return this.hostLedState ?? this.engineLed;
  }

  get scanEnabled(): boolean {
    return this.enabled;
  }

  /** A read session is open (hardware trigger held, or a host trigger waiting for its time-out). */
  get reading(): boolean {
    return this.session !== undefined;
  }

  get triggerMode(): TriggerMode {
    return this.commands.triggerMode();
  }

  /** The working settings table (for the control API and tests). */
  get settings(): SettingsTable {
    return this.commands.settings;
  }

  /** The vendor command set, for its counters and vendor-specific getters. */
  get commandSet(): HoneywellCommandSet | SsiCommandSet {
    return this.commands;
  }

  // --- internals ---------------------------------------------------------------------------------------

  private hostTrigger(timeoutMs: number): void {
    if (!this.enabled || this.poweredOff) return;
    this.startSession('host', timeoutMs);
    this.attemptRead();
  }

  private startSession(source: Session['source'], timeoutMs: number): void {
    this.endSession();
    const session: Session = { source, timer: undefined };
    if (timeoutMs > 0) {
      session.timer = this.clock.setTimeout(() => {
        if (this.session !== session) return;
        this.session = undefined;
        this.emit({ type: 'session-timeout' });
      }, timeoutMs);
    }
    this.session = session;
  }

  private endSession(): void {
    if (this.session) this.clock.clearTimeout(this.session.timer);
    this.session = undefined;
  }

  private attemptRead(): ScanResult {
    const input = this.presented;
    // A real imager stays silent on a no-read: nothing goes to the host.
    const symbol = input ? this.decode(input) : undefined;
    if (!symbol) return { read: false, reason: 'no-read' };
    if (!this.commands.symbologyEnabled(symbol.symbology))
      return { read: false, reason: 'symbology-disabled' };
    // The symbol is taken as read: it is not read again until presented again.
    this.presented = undefined;
    this.endSession();
    this.beep('good-read');
    this.flashLed('green');
    const bytes = this.commands.deliver(symbol);
    this.emit({ type: 'read', symbol, bytes });
    return { read: true, symbol, bytes };
  }

  private beep(kind: BeepKind): void {
    if (kind === 'good-read' && !this.commands.goodReadBeep()) return;
    const volume = this.commands.beeperVolume();
    if (volume <= 0) return;
    this.beeps = { volume, count: this.beeps.count + 1, last: kind };
    this.emit({ type: 'beep', kind, volume });
  }

  private flashLed(state: LedState): void {
    const before = this.led;
    this.engineLed = state;
    this.clock.clearTimeout(this.ledTimer);
    this.ledTimer = this.clock.setTimeout(() => {
      const was = this.led;
      this.engineLed = 'off';
      if (this.led !== was) this.emit({ type: 'led', state: this.led });
    }, this.profile.goodReadLedMs);
    if (this.led !== before) this.emit({ type: 'led', state: this.led });
  }

  private setHostLed(state: LedState | undefined): void {
    const before = this.led;
    this.hostLedState = state;
    if (this.led !== before) this.emit({ type: 'led', state: this.led });
  }

  /** Puts bytes on the wire, split as the profile says. */
  private send(bytes: Uint8Array): void {
    if (this.poweredOff || bytes.length === 0) return;
    const size = this.profile.transmit.chunkSize;
    if (!size || size <= 0 || bytes.length <= size) this.txQueue.push(bytes);
    else for (let i = 0; i < bytes.length; i += size) this.txQueue.push(bytes.subarray(i, i + size));
    if (this.txTimer === undefined) this.drain();
  }

  private drain(): void {
    const gap = this.profile.transmit.chunkGapMs ?? 0;
    while (this.txQueue.length > 0) {
      const chunk = this.txQueue.shift()!;
      this.emit({ type: 'transmit', bytes: Uint8Array.from(chunk) });
      if (gap > 0 && this.txQueue.length > 0) {
        this.txTimer = this.clock.setTimeout(() => {
          this.txTimer = undefined;
          this.drain();
        }, gap);
        return;
      }
    }
  }

  private emit(event: ScannerEvent): void {
    for (const l of this.listeners.get(event.type) ?? []) l(event);
  }
}
