/**
 * A UnifiedPOS Scanner device control (UPOS 1.16, Scanner chapter) for serial scanners (Honeywell serial
 * commands, Zebra SSI, or a plain serial scanner configured by hand) and USB HID scanners (HID POS, or a
 * keyboard wedge read as HID reports or as the operating system's key events).
 *
 * It opens a path exactly as it would open a real device — a serial path with `serialport`, a HID path
 * through node-hid's surface (`hid:<vid>:<pid>`, `/dev/hidrawN`, `emu:hid/<name>`), an event device
 * (`evdev:/dev/input/…`); whatever sits behind the path (a scanner, an adapter, a pseudo-terminal, a twin)
 * is none of its business.
 *
 * UPOS life cycle: open → claim → setDeviceEnabled(true) → dataEventEnabled = true; DataEvent …;
 * setDeviceEnabled(false) → release → close. Input model (UPOS "Device Input Model"):
 * - while the device is enabled, each label read is queued as a DataEvent (dataCount counts them); with
 *   autoDisable the device disables itself after one label;
 * - a queued DataEvent is delivered when dataEventEnabled is true and freezeEvents false: scanData,
 *   scanDataLabel and scanDataType are set first, then dataEventEnabled turns false;
 * - an input error queues an ErrorEvent (locus EL_INPUT) at the tail and, when DataEvents are queued, one
 *   more (EL_INPUT_DATA) at the head; both are delivered under the same conditions as DataEvents, and the
 *   application's errorResponse (ER_CLEAR / ER_CONTINUEINPUT / ER_RETRY) is applied when its handler returns;
 * - StatusUpdateEvents wait only for freezeEvents.
 *
 * Where UPOS leaves room, see the notes on `claim`, `open`, `close`, `powerNotify` and the links.
 */
import { EventEmitter } from 'node:events';
import { SystemClock } from '../../../firmware-sim/clock.js';
import type { Clock, TimerHandle } from '../../../firmware-sim/clock.js';
import type { HoneywellMenuCommand } from '../../../firmware-sim/scanner/honeywell.js';
import { ScanDataType } from '../../../firmware-sim/scanner/symbology.js';
import type { SsiParam } from '../../../firmware-sim/scanner/ssi.js';
import { EvdevScannerPort } from './evdev-port.js';
import { DEFAULT_MAX_FRAME_LENGTH } from './framing.js';
import { HidPosLink } from './hid-pos-link.js';
import { HidScannerPort } from './hid-port.js';
import { HoneywellLink } from './honeywell-link.js';
import type { DecodedLabel, SymbologyIdMode } from './label.js';
import { PlainSerialLink } from './link.js';
import type { LinkContext, ScannerLink, SerialLabelFormat } from './link.js';
import { PortBusyError, describeError, type PortConnection, type ScannerPort } from './port.js';
import { SerialScannerPort } from './serial-port.js';
import { SsiLink } from './ssi-link.js';
import {
  DataEvent,
  ErrorEvent,
  ErrorLocus,
  ErrorResponse,
  FOREVER,
  PowerNotify,
  PowerReporting,
  PowerState,
  StatusUpdate,
  StatusUpdateEvent,
  UposError,
  UposException,
  UposState,
} from './upos.js';
import type { ErrorLocusValue, PowerNotifyValue, PowerStateValue, UposStateValue } from './upos.js';
import { WedgeLink, type WedgeOptions } from './wedge-link.js';

/** Serial: 'honeywell' | 'ssi' | 'none'. USB HID: 'hid-pos' (usage page 0x8C) | 'wedge' (a keyboard). */
export type ScannerCommandSetName = 'honeywell' | 'ssi' | 'none' | 'hid-pos' | 'wedge';

const SERIAL_COMMAND_SETS: readonly ScannerCommandSetName[] = ['honeywell', 'ssi', 'none'];

/** Which kind of device a path names. */
export function scannerPathKind(path: string): 'serial' | 'hid' | 'keys' {
  if (path.startsWith('hid:') || path.startsWith('emu:hid/') || /^\/dev\/hidraw\d+$/.test(path)) return 'hid';
  if (path.startsWith('evdev:')) return 'keys';
  return 'serial';
}

export interface ScannerConfigureOptions {
  /**
   * What the scanner puts in front of the data to name the symbology: AIM id (default), Honeywell Code ID
   * (honeywell only), or nothing (scanDataType is then UNKNOWN for serial output; SSI still has its code type).
   */
  symbologyId?: SymbologyIdMode;
  /** A prefix the scanner sends before the identifier (stripped from scanDataLabel). Default none. */
  prefix?: string | Uint8Array;
  /** Send the configuration at enable (default true). False: the scanner is trusted to be set up already. */
  apply?: boolean;
  /** Wait for a command reply (SSI CMD_ACK, Honeywell menu echo) before resending. Default 1000 ms. */
  responseTimeoutMs?: number;
  /** Resends before a command fails with E_TIMEOUT. Default 2. */
  retries?: number;
  /** Extra Honeywell menu commands sent with the driver's own (volatile). */
  honeywellMenu?: HoneywellMenuCommand[];
  /** Extra SSI parameters sent with the driver's own PARAM_SEND (temporary). */
  ssiParams?: SsiParam[];
}

export interface ScannerOptions {
  /**
   * The device. Serial: /dev/ttyACM0, /dev/serial/by-id/…, a PTY slave, or a symlink to any of them.
   * HID (hid-pos, wedge): `hid:<vid>:<pid>[:<serial>]`, `/dev/hidrawN`, `emu:hid/<name>`.
   * Key events (wedge): `evdev:/dev/input/by-id/…-event-kbd`.
   */
  path: string;
  baudRate?: number;
  dataBits?: 5 | 6 | 7 | 8;
  parity?: 'none' | 'even' | 'odd' | 'mark' | 'space';
  stopBits?: 1 | 1.5 | 2;
  commandSet: ScannerCommandSetName;
  /** Silence that ends a label (serial) or drops a partial packet (SSI). Default 50 ms. */
  interByteTimeoutMs?: number;
  /** Silence after a suffix that ends a label. Default three character times at the line rate, at least 2 ms. */
  suffixQuietMs?: number;
  /** Suffix that ends a label on serial output (honeywell, none). Default CR LF. */
  suffix?: string | Uint8Array;
  configure?: ScannerConfigureOptions;
  /** While the port is lost, try to reopen the path this often. Default 1000 ms. */
  reopenIntervalMs?: number;
  /**
   * How often an open port is asked for its line settings (a read-only ioctl) to notice a hang-up that
   * serialport itself misses. Default 1000 ms.
   */
  healthCheckIntervalMs?: number;
  /** Longest label accepted; longer input is an input error. Default 16 KiB. */
  maxLabelLength?: number;
  /** Time source for every timeout. Default SystemClock. */
  clock?: Clock;
  /** Keyboard wedge: the host's layout and Caps Lock, and how scanner bursts are told from typing. */
  wedge?: WedgeOptions;
}

export interface ScannerEvents {
  dataEvent: [event: DataEvent];
  errorEvent: [event: ErrorEvent];
  statusUpdateEvent: [event: StatusUpdateEvent];
  /** Not UPOS: protocol diagnostics (NAK sent, duplicate dropped, reconnect attempts…), for logs. */
  trace: [message: string];
}

type InputItem =
  | { kind: 'data'; scanData: Buffer; decoded: DecodedLabel }
  | { kind: 'error'; errorCode: number; errorCodeExtended: number; locus: ErrorLocusValue; message: string };

const DEFAULTS = {
  baudRate: 9600,
  dataBits: 8 as const,
  parity: 'none' as const,
  stopBits: 1 as const,
  interByteTimeoutMs: 50,
  suffix: '\r\n',
  reopenIntervalMs: 1000,
  healthCheckIntervalMs: 1000,
  responseTimeoutMs: 1000,
  retries: 2,
};

/** Shortest silence after a suffix that ends a label (a PTY or USB link has no character time). */
const SUFFIX_QUIET_MIN_MS = 2;

/** How often claim() retries a port locked by someone else. */
const CLAIM_POLL_MS = 50;

/** Which Scanner of this process holds which path, to answer E_CLAIMED rather than E_NOTCLAIMED. */
const claimants = new Map<string, Scanner>();

const toBytes = (v: string | Uint8Array): Buffer =>
  typeof v === 'string' ? Buffer.from(v, 'latin1') : Buffer.from(v);

const describe = describeError;

export class Scanner extends EventEmitter<ScannerEvents> {
  /** PR_STANDARD: a serial link tells ONLINE from OFF_OFFLINE, nothing finer. */
  readonly capPowerReporting = PowerReporting.PR_STANDARD;
  readonly path: string;

  private readonly options: ScannerOptions;
  private readonly clock: Clock;
  private readonly suffix: Buffer;
  private readonly prefix: Buffer;

  private opened = false;
  private closing = false;
  private claimedFlag = false;
  private deviceEnabledFlag = false;
  /** Labels are taken (set just before scanning is enabled on the wire, so none falls in the gap). */
  private inputEnabled = false;
  private readonly device: ScannerPort;
  private port: PortConnection | undefined;
  private link: ScannerLink | undefined;
  private reopenTimer: TimerHandle | undefined;
  private ops: Promise<unknown> = Promise.resolve();

  private inputQueue: InputItem[] = [];
  private statusQueue: StatusUpdateEvent[] = [];
  private deliveryScheduled = false;

  private stateValue: UposStateValue = UposState.S_CLOSED;
  private dataEventEnabledValue = false;
  private freezeEventsValue = false;
  private autoDisableValue = false;
  private decodeDataValue = false;
  private powerNotifyValue: PowerNotifyValue = PowerNotify.PN_DISABLED;
  private powerStateValue: PowerStateValue = PowerState.PS_UNKNOWN;
  private scanDataValue: Buffer = Buffer.alloc(0);
  private scanDataLabelValue: Buffer = Buffer.alloc(0);
  private scanDataTypeValue: number = ScanDataType.UNKNOWN;

  constructor(options: ScannerOptions) {
    super();
    const { commandSet } = options;
    if (!['honeywell', 'ssi', 'none', 'hid-pos', 'wedge'].includes(commandSet)) {
      throw new UposException(UposError.E_ILLEGAL, `unknown command set '${String(commandSet)}'`);
    }
    const kind = scannerPathKind(options.path);
    const fits =
      kind === 'serial'
        ? SERIAL_COMMAND_SETS.includes(commandSet)
        : kind === 'hid'
          ? commandSet === 'hid-pos' || commandSet === 'wedge'
          : commandSet === 'wedge';
    if (!fits) {
      throw new UposException(
        UposError.E_ILLEGAL,
        `command set '${commandSet}' cannot read ${kind === 'keys' ? 'key events' : `a ${kind} device`} (${options.path})`,
      );
    }
    if (commandSet === 'ssi' && options.configure?.symbologyId === 'honeywell') {
      throw new UposException(
        UposError.E_ILLEGAL,
        'an SSI decoder sends AIM ids or none, not Honeywell Code IDs',
      );
    }
    this.options = options;
    this.path = options.path;
    this.clock = options.clock ?? new SystemClock();
    this.suffix = toBytes(options.suffix ?? DEFAULTS.suffix);
    this.prefix = toBytes(options.configure?.prefix ?? '');
    this.device =
      kind === 'hid'
        ? new HidScannerPort(options.path)
        : kind === 'keys'
          ? new EvdevScannerPort(options.path)
          : new SerialScannerPort(
              options.path,
              {
                baudRate: options.baudRate ?? DEFAULTS.baudRate,
                dataBits: options.dataBits ?? DEFAULTS.dataBits,
                parity: options.parity ?? DEFAULTS.parity,
                stopBits: options.stopBits ?? DEFAULTS.stopBits,
              },
              this.clock,
              options.healthCheckIntervalMs ?? DEFAULTS.healthCheckIntervalMs,
            );
  }

  // --- UPOS properties ----------------------------------------------------------------------------------

  get state(): UposStateValue {
    return this.stateValue;
  }

  get claimed(): boolean {
    return this.claimedFlag;
  }

  get deviceEnabled(): boolean {
    return this.deviceEnabledFlag;
  }

  get dataCount(): number {
    let n = 0;
    for (const item of this.inputQueue) if (item.kind === 'data') n++;
    return n;
  }

  get dataEventEnabled(): boolean {
    return this.dataEventEnabledValue;
  }

  set dataEventEnabled(value: boolean) {
    this.assertOpen();
    this.dataEventEnabledValue = value;
    if (value) this.scheduleDelivery();
  }

  get freezeEvents(): boolean {
    return this.freezeEventsValue;
  }

  set freezeEvents(value: boolean) {
    this.assertOpen();
    this.freezeEventsValue = value;
    if (!value) this.scheduleDelivery();
  }

  get autoDisable(): boolean {
    return this.autoDisableValue;
  }

  set autoDisable(value: boolean) {
    this.assertOpen();
    this.autoDisableValue = value;
  }

  get decodeData(): boolean {
    return this.decodeDataValue;
  }

  set decodeData(value: boolean) {
    this.assertOpen();
    this.decodeDataValue = value;
  }

  /** PN_ENABLED makes the driver report power (SUE_POWER_*) while enabled. Settable only while disabled. */
  get powerNotify(): PowerNotifyValue {
    return this.powerNotifyValue;
  }

  set powerNotify(value: PowerNotifyValue) {
    this.assertOpen();
    if (this.deviceEnabledFlag)
      throw new UposException(UposError.E_ILLEGAL, 'powerNotify can change only while disabled');
    if (value !== PowerNotify.PN_DISABLED && value !== PowerNotify.PN_ENABLED) {
      throw new UposException(UposError.E_ILLEGAL, `powerNotify ${String(value)}`);
    }
    this.powerNotifyValue = value;
  }

  get powerState(): PowerStateValue {
    return this.powerStateValue;
  }

  /** The label as received: prefix, identifier and data, without the framing suffix (SSI: without code type). */
  get scanData(): Buffer {
    return this.scanDataValue;
  }

  /** The data alone (decodeData true), e.g. `4901234567894`; empty when decodeData is false. */
  get scanDataLabel(): Buffer {
    return this.scanDataLabelValue;
  }

  /** ScanDataType constant (decodeData true); UNKNOWN when decodeData is false. */
  get scanDataType(): number {
    return this.scanDataTypeValue;
  }

  // --- UPOS methods -------------------------------------------------------------------------------------

  /**
   * Opens the device control: checks that the path names a device of its kind (E_NOEXIST otherwise). The
   * device itself is opened by claim(), which is where UPOS puts exclusive access (serialport's lock).
   */
  async open(): Promise<void> {
    if (this.opened) throw new UposException(UposError.E_ILLEGAL, 'already open');
    await this.device.check();
    this.opened = true;
    this.closing = false;
    this.stateValue = UposState.S_IDLE;
    this.dataEventEnabledValue = false;
    this.freezeEventsValue = false;
    this.autoDisableValue = false;
    this.decodeDataValue = false;
    this.powerNotifyValue = PowerNotify.PN_DISABLED;
    this.powerStateValue = PowerState.PS_UNKNOWN;
    this.inputQueue = [];
    this.statusQueue = [];
    this.clearInputProperties();
  }

  /**
   * Exclusive access: opens the port with serialport's lock (flock), which also keeps other processes out.
   * A port locked by someone else is retried until `timeoutMs` (0: once; FOREVER: no limit); then
   * E_TIMEOUT, as UPOS specifies for claim ("another application … did not relinquish control").
   * A missing or unopenable path is E_NOHARDWARE.
   */
  async claim(timeoutMs: number): Promise<void> {
    this.assertOpen();
    if (!Number.isFinite(timeoutMs) || (timeoutMs < 0 && timeoutMs !== FOREVER)) {
      throw new UposException(UposError.E_ILLEGAL, `claim timeout ${timeoutMs}`);
    }
    return this.serialize(async () => {
      this.assertOpen();
      if (this.claimedFlag) return;
      const deadline = timeoutMs === FOREVER ? Infinity : this.clock.now() + timeoutMs;
      let port: PortConnection;
      for (;;) {
        try {
          port = await this.openPort();
          break;
        } catch (err) {
          if (err instanceof UposException) throw err;
          if (!(err instanceof PortBusyError)) {
            throw new UposException(UposError.E_NOHARDWARE, `${this.path}: ${describe(err)}`, 0, {
              cause: err,
            });
          }
          const left = deadline - this.clock.now();
          if (left <= 0) {
            throw new UposException(
              UposError.E_TIMEOUT,
              `${this.path} is claimed by another application (${describe(err)})`,
              0,
              { cause: err },
            );
          }
          await this.sleep(Math.min(CLAIM_POLL_MS, left));
          if (this.closing || !this.opened)
            throw new UposException(UposError.E_CLOSED, 'closed while claiming');
        }
      }
      this.link = this.createLink();
      this.attach(port);
      try {
        this.link.connected?.(port);
      } catch (err) {
        this.link.dispose();
        this.link = undefined;
        await this.closePort();
        throw err;
      }
      this.claimedFlag = true;
      claimants.set(this.path, this);
    });
  }

  /**
   * Enabling configures the scanner through its command set and enables scanning; disabling disables
   * scanning (best effort: a disable never fails on the wire). With powerNotify PN_ENABLED the device may be
   * enabled while its port is lost: it reports SUE_POWER_OFF_OFFLINE and is configured when it returns;
   * otherwise that is E_NOHARDWARE.
   */
  async setDeviceEnabled(enabled: boolean): Promise<void> {
    this.assertOpen();
    this.assertClaimed();
    return this.serialize(async () => {
      this.assertOpen();
      this.assertClaimed();
      if (enabled === this.deviceEnabledFlag) return;
      if (!enabled) {
        this.disableInput();
        if (this.port && this.link)
          await this.link.disableScanning().catch((err: unknown) => this.trace(describe(err)));
        return;
      }
      if (!this.port) {
        if (this.powerNotifyValue !== PowerNotify.PN_ENABLED) {
          throw new UposException(UposError.E_NOHARDWARE, `${this.path} is not connected`);
        }
        this.deviceEnabledFlag = true;
        this.inputEnabled = true;
        this.setPower(PowerState.PS_OFF_OFFLINE);
        return;
      }
      await this.bringUp();
      this.deviceEnabledFlag = true;
      this.setPower(PowerState.PS_ONLINE);
    });
  }

  /** Drops every queued DataEvent and input ErrorEvent; dataCount becomes 0 and an error state is left. */
  clearInput(): void {
    this.assertOpen();
    this.assertClaimed();
    this.inputQueue = [];
    if (this.stateValue === UposState.S_ERROR) this.stateValue = UposState.S_IDLE;
  }

  /** Resets scanData, scanDataLabel and scanDataType (UPOS 1.10 clearInputProperties). */
  clearInputProperties(): void {
    this.scanDataValue = Buffer.alloc(0);
    this.scanDataLabelValue = Buffer.alloc(0);
    this.scanDataTypeValue = ScanDataType.UNKNOWN;
  }

  /** Gives up exclusive access: disables the device if enabled, closes the port, stops any reconnecting. */
  async release(): Promise<void> {
    this.assertOpen();
    if (!this.claimedFlag) throw new UposException(UposError.E_ILLEGAL, 'not claimed by this application');
    return this.serialize(() => this.doRelease());
  }

  /** Closes the device control (releasing it first). Closing a closed Scanner does nothing. */
  async close(): Promise<void> {
    if (!this.opened) return;
    this.closing = true;
    await this.serialize(async () => {
      if (this.claimedFlag) await this.doRelease();
    });
    this.opened = false;
    this.closing = false;
    this.inputQueue = [];
    this.statusQueue = [];
    this.dataEventEnabledValue = false;
    this.freezeEventsValue = false;
    this.powerStateValue = PowerState.PS_UNKNOWN;
    this.stateValue = UposState.S_CLOSED;
  }

  // --- port -----------------------------------------------------------------------------------------------

  private openPort(): Promise<PortConnection> {
    let conn: PortConnection | undefined;
    let lostEarly: unknown;
    let lost = false;
    return this.device
      .connect({
        data: (chunk) => {
          if (!conn || conn !== this.port) return;
          this.clock.touch();
          try {
            this.link?.receive(chunk);
          } catch (err) {
            // A link must not throw; if one does, the bytes are lost but the driver lives on.
            this.trace(`input dropped: ${describe(err)}`);
          }
        },
        lost: (err) => {
          if (conn) this.portLost(conn, err);
          else {
            lost = true;
            lostEarly = err;
          }
        },
      })
      .then((c) => {
        conn = c;
        if (lost) {
          void c.close();
          throw new UposException(UposError.E_NOHARDWARE, `${this.path}: ${describe(lostEarly)}`);
        }
        return c;
      });
  }

  private attach(port: PortConnection): void {
    this.port = port;
  }

  private write(bytes: Uint8Array): Promise<void> {
    const port = this.port;
    if (!port)
      return Promise.reject(new UposException(UposError.E_NOHARDWARE, `${this.path} is not connected`));
    this.clock.touch();
    return port.write(bytes);
  }

  private closePort(): Promise<void> {
    const port = this.port;
    this.port = undefined;
    return port ? port.close() : Promise.resolve();
  }

  /** The port went away (unplugged, hung up, I/O error): report it and reconnect to the same path. */
  private portLost(port: PortConnection, err: unknown): void {
    if (port !== this.port) return;
    this.port = undefined;
    void port.close().catch(() => {});
    this.trace(`port lost: ${describe(err)}`);
    this.link?.reset(new UposException(UposError.E_NOHARDWARE, `${this.path} was lost`, 0, { cause: err }));
    if (this.deviceEnabledFlag) {
      this.enqueueError(UposError.E_NOHARDWARE, 0, `${this.path} was lost: ${describe(err)}`);
      this.setPower(PowerState.PS_OFF_OFFLINE);
    }
    this.scheduleReopen();
  }

  private scheduleReopen(): void {
    if (this.reopenTimer || !this.claimedFlag) return;
    const interval = this.options.reopenIntervalMs ?? DEFAULTS.reopenIntervalMs;
    this.reopenTimer = this.clock.setTimeout(() => {
      this.reopenTimer = undefined;
      this.serialize(() => this.reopen()).catch((e: unknown) => this.trace(`reopen: ${describe(e)}`));
    }, interval);
  }

  private async reopen(): Promise<void> {
    if (!this.claimedFlag || this.port) return;
    let port: PortConnection;
    try {
      port = await this.openPort();
    } catch (err) {
      this.trace(`reopen ${this.path}: ${describe(err)}`);
      this.scheduleReopen();
      return;
    }
    if (!this.claimedFlag) {
      void port.close();
      return;
    }
    this.link?.reset(new UposException(UposError.E_NOHARDWARE, 'port replaced'));
    this.attach(port);
    try {
      this.link?.connected?.(port);
    } catch (err) {
      // Another device came back on the path: keep trying, and say why.
      this.trace(`reopened ${this.path} but: ${describe(err)}`);
      await this.closePort();
      this.scheduleReopen();
      return;
    }
    this.trace(`reopened ${this.path}`);
    if (!this.deviceEnabledFlag) return;
    try {
      await this.bringUp();
    } catch (err) {
      // The scanner may still be booting: try again later, from a closed port.
      this.trace(`reconfigure after reopen failed: ${describe(err)}`);
      if (this.port === port) await this.closePort();
      this.scheduleReopen();
      return;
    }
    this.setPower(PowerState.PS_ONLINE);
  }

  /** Configure the scanner and enable scanning on the current port. */
  private async bringUp(): Promise<void> {
    const link = this.link;
    if (!link) throw new UposException(UposError.E_NOTCLAIMED, 'not claimed');
    const apply = this.options.configure?.apply ?? true;
    try {
      if (apply) await link.configure();
      this.inputEnabled = true;
      await link.enableScanning();
    } catch (err) {
      // A first enable that fails leaves input off; a failed reconfigure keeps the (offline) device enabled.
      this.inputEnabled = this.deviceEnabledFlag;
      if (err instanceof UposException) throw err;
      throw new UposException(UposError.E_FAILURE, describe(err), 0, { cause: err });
    }
  }

  private async doRelease(): Promise<void> {
    if (this.deviceEnabledFlag) {
      this.disableInput();
      if (this.port && this.link)
        await this.link.disableScanning().catch((err: unknown) => this.trace(describe(err)));
    }
    this.clock.clearTimeout(this.reopenTimer);
    this.reopenTimer = undefined;
    this.link?.dispose();
    this.link = undefined;
    await this.closePort();
    this.claimedFlag = false;
    if (claimants.get(this.path) === this) claimants.delete(this.path);
  }

  private disableInput(): void {
    this.deviceEnabledFlag = false;
    this.inputEnabled = false;
    this.powerStateValue = PowerState.PS_UNKNOWN;
  }

  // --- links ----------------------------------------------------------------------------------------------

  /** A label's bytes follow each other without pause: three character times of silence after a suffix end it. */
  private defaultSuffixQuietMs(): number {
    const o = this.options;
    const parity = (o.parity ?? DEFAULTS.parity) === 'none' ? 0 : 1;
    const bits = 1 + (o.dataBits ?? DEFAULTS.dataBits) + parity + (o.stopBits ?? DEFAULTS.stopBits);
    return Math.max(SUFFIX_QUIET_MIN_MS, (3 * bits * 1000) / (o.baudRate ?? DEFAULTS.baudRate));
  }

  private createLink(): ScannerLink {
    const o = this.options;
    const c = o.configure ?? {};
    const ctx: LinkContext = {
      clock: this.clock,
      write: (bytes) => this.write(bytes),
      label: (scanData, decoded) => this.onLabel(scanData, decoded),
      inputError: (code, ext, message) => this.onInputError(code, ext, message),
      trace: (message) => this.trace(message),
    };
    const interByteTimeoutMs = o.interByteTimeoutMs ?? DEFAULTS.interByteTimeoutMs;
    const responseTimeoutMs = c.responseTimeoutMs ?? DEFAULTS.responseTimeoutMs;
    const retries = c.retries ?? DEFAULTS.retries;
    const maxLabelLength = o.maxLabelLength ?? DEFAULT_MAX_FRAME_LENGTH;
    const format: SerialLabelFormat = {
      suffix: this.suffix,
      prefix: this.prefix,
      symbologyId: c.symbologyId ?? 'aim',
      interByteTimeoutMs,
      suffixQuietMs: Math.min(interByteTimeoutMs, o.suffixQuietMs ?? this.defaultSuffixQuietMs()),
      maxLabelLength,
    };
    const onOverflow = (dropped: number): void =>
      this.onInputError(
        UposError.E_FAILURE,
        0,
        `label longer than ${maxLabelLength} bytes (${dropped} dropped)`,
      );
    switch (o.commandSet) {
      case 'ssi':
        return new SsiLink(ctx, {
          interByteTimeoutMs,
          responseTimeoutMs,
          retries,
          aimId: (c.symbologyId ?? 'aim') === 'aim',
          params: c.ssiParams ?? [],
          maxLabelLength,
        });
      case 'honeywell':
        return new HoneywellLink(
          ctx,
          { ...format, responseTimeoutMs, retries, menu: c.honeywellMenu ?? [] },
          onOverflow,
        );
      case 'none':
        return new PlainSerialLink(ctx, format, onOverflow);
      case 'hid-pos':
        return new HidPosLink(ctx, { maxLabelLength });
      case 'wedge':
        return new WedgeLink(ctx, {
          ...o.wedge,
          prefix: this.prefix,
          symbologyId: c.symbologyId ?? 'aim',
          maxLabelLength,
          writesLeds: this.device.kind === 'hid',
        });
    }
  }

  private onLabel(scanData: Buffer, decoded: DecodedLabel): void {
    if (!this.inputEnabled || !this.opened) {
      this.trace(`label of ${scanData.length} bytes dropped: device disabled`);
      return;
    }
    this.inputQueue.push({ kind: 'data', scanData, decoded });
    if (this.autoDisableValue) {
      this.disableInput();
      // The scanner stops too, when its command set can tell it to; failure is only worth a trace.
      this.serialize(async () => {
        if (!this.deviceEnabledFlag && this.port && this.link) await this.link.disableScanning();
      }).catch((err: unknown) => this.trace(`auto-disable: ${describe(err)}`));
    }
    this.scheduleDelivery();
  }

  private onInputError(code: number, ext: number, message: string): void {
    if (!this.inputEnabled || !this.opened) {
      this.trace(`input error while disabled: ${message}`);
      return;
    }
    this.enqueueError(code, ext, message);
  }

  // --- event queue ----------------------------------------------------------------------------------------

  private enqueueError(code: number, ext: number, message: string): void {
    this.stateValue = UposState.S_ERROR;
    this.inputQueue.push({
      kind: 'error',
      errorCode: code,
      errorCodeExtended: ext,
      locus: ErrorLocus.EL_INPUT,
      message,
    });
    if (this.inputQueue.some((i) => i.kind === 'data')) {
      this.inputQueue.unshift({
        kind: 'error',
        errorCode: code,
        errorCodeExtended: ext,
        locus: ErrorLocus.EL_INPUT_DATA,
        message,
      });
    }
    this.scheduleDelivery();
  }

  private setPower(state: PowerStateValue): void {
    if (this.powerNotifyValue !== PowerNotify.PN_ENABLED) {
      this.powerStateValue = PowerState.PS_UNKNOWN;
      return;
    }
    if (state === this.powerStateValue) return;
    this.powerStateValue = state;
    const status =
      state === PowerState.PS_ONLINE ? StatusUpdate.SUE_POWER_ONLINE : StatusUpdate.SUE_POWER_OFF_OFFLINE;
    this.statusQueue.push(new StatusUpdateEvent(status));
    this.scheduleDelivery();
  }

  private scheduleDelivery(): void {
    if (this.deliveryScheduled) return;
    this.deliveryScheduled = true;
    // Events reach the application from their own turn of the event loop, never from inside a call it made.
    setImmediate(() => {
      this.deliveryScheduled = false;
      this.deliver();
    });
  }

  private deliver(): void {
    while (this.opened && !this.freezeEventsValue) {
      const status = this.statusQueue.shift();
      if (status) {
        this.emitSafe('statusUpdateEvent', status);
        continue;
      }
      if (!this.dataEventEnabledValue) return;
      const item = this.inputQueue.shift();
      if (!item) return;
      if (item.kind === 'data') this.deliverData(item.scanData, item.decoded);
      else this.deliverError(item);
    }
  }

  private deliverData(scanData: Buffer, decoded: DecodedLabel): void {
    this.scanDataValue = scanData;
    if (this.decodeDataValue) {
      this.scanDataLabelValue = decoded.label;
      this.scanDataTypeValue = decoded.type;
    } else {
      this.scanDataLabelValue = Buffer.alloc(0);
      this.scanDataTypeValue = ScanDataType.UNKNOWN;
    }
    this.dataEventEnabledValue = false;
    this.emitSafe('dataEvent', new DataEvent(scanData.length));
  }

  private deliverError(item: Extract<InputItem, { kind: 'error' }>): void {
    const event = new ErrorEvent(item.errorCode, item.errorCodeExtended, item.locus, item.message);
    this.emitSafe('errorEvent', event);
    const response =
      item.locus === ErrorLocus.EL_INPUT && event.errorResponse === ErrorResponse.ER_CONTINUEINPUT
        ? ErrorResponse.ER_CLEAR // CONTINUEINPUT means nothing without queued data
        : event.errorResponse;
    switch (response) {
      case ErrorResponse.ER_CLEAR:
        this.inputQueue = [];
        this.stateValue = UposState.S_IDLE;
        break;
      case ErrorResponse.ER_RETRY:
        // Nothing to re-read from a scanner: the error state is left and input goes on.
        this.stateValue = UposState.S_IDLE;
        break;
      case ErrorResponse.ER_CONTINUEINPUT:
        // Stay in S_ERROR; queued data follows, then the EL_INPUT event at the tail.
        break;
      default:
        this.inputQueue = [];
        this.stateValue = UposState.S_IDLE;
    }
  }

  private emitSafe<K extends 'dataEvent' | 'errorEvent' | 'statusUpdateEvent'>(
    name: K,
    event: ScannerEvents[K][0],
  ): void {
    try {
      (this.emit as (n: string, e: unknown) => boolean)(name, event);
    } catch (err) {
      // An application handler threw: report it without taking the driver (or the process) down.
      process.emitWarning(err instanceof Error ? err : new Error(String(err)), {
        code: 'BENCHTWIN_SCANNER_HANDLER',
      });
    }
  }

  // --- helpers --------------------------------------------------------------------------------------------

  private trace(message: string): void {
    if (this.listenerCount('trace') > 0) this.emit('trace', message);
  }

  private assertOpen(): void {
    if (!this.opened) throw new UposException(UposError.E_CLOSED, 'not open');
  }

  private assertClaimed(): void {
    if (this.claimedFlag) return;
    const other = claimants.get(this.path);
    if (other && other !== this)
      throw new UposException(UposError.E_CLAIMED, `${this.path} is claimed by another Scanner`);
    throw new UposException(UposError.E_NOTCLAIMED, 'claim() first');
  }

  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.ops.then(fn, fn);
    this.ops = result.catch(() => {});
    return result;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.clock.setTimeout(resolve, ms));
  }
}
