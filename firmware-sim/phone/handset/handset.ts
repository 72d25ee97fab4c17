/**
 * The handset around the modem: display, keypad and an application slot. It owns the screen and routes
 * every key press — to an open prompt first, then to the running application, else to its own idle
 * screen, menu or PIN entry. Applications (the payment applications of later issues) are installed in the
 * slot and run with an `ApplicationContext`: the screen, the clock, the UIM, the identity read from it,
 * prompts, notifications and the HTTPS client of mobile data.
 *
 * Pure: time comes from the injected Clock, I/O only through the UIM access, the HTTPS client and the BLE
 * port given to it; WAP Push messages arrive from the modem (`receivePush`). Keys may arrive at any time in any order; none throws (`press` never throws, whatever an application
 * does).
 */
import type { Clock, TimerHandle } from '../../clock.js';
import type { PhoneModem } from '../modem.js';
import { RegistrationStatus } from '../radio.js';
import type { Battery, SimulatedRadio } from '../radio.js';
import type { ReassembledMessage } from '../sms/reassembly.js';
import type { ServiceIndication } from '../sms/service-indication.js';
import { WAP_PUSH_PORT, siFromMessage } from '../sms/wap-push.js';
import type { PhoneBlePort } from './ble-port.js';
import type { UimAccess } from '../uim-access.js';
import { isBlocked, isOk, isWrongCode } from '../uim-access.js';
import type { AskOptions, ConfirmSoftKeys, Dialog, Settle } from './dialogs.js';
import { AskDialog, ChooseDialog, ConfirmDialog, PromptCancelledError } from './dialogs.js';
import type { HttpsClient } from './https.js';
import type { Key } from './keys.js';
import { isDigitKey } from './keys.js';
import { DEFAULT_MULTI_TAP_TIMEOUT_MS, HandsetInputError, Keypad } from './keypad.js';
import type { ScreenContent, ScreenJson, StatusBar } from './screen.js';
import { Screen } from './screen.js';

/** Who the phone is, as the UIM tells it (undefined until the card is ready and the PIN given). */
export interface HandsetIdentity {
  imsi: string | undefined;
  /** The first own number of EF_MSISDN. */
  msisdn: string | undefined;
  iccid: string | undefined;
}

export interface NotifyOptions {
  /** How long the notification stays (clock ms); default 3000. A key press dismisses it earlier. */
  durationMs?: number;
}

export interface ApplicationContext {
  readonly screen: Screen;
  readonly clock: Clock;
  /** The card, shared with the modem; undefined without a SIM. */
  readonly uim: UimAccess | undefined;
  readonly identity: HandsetIdentity;
  /** Mobile data; undefined when the handset has none. */
  readonly https: HttpsClient | undefined;
  /** What `launch()` was given (e.g. the mail that started the application). */
  readonly launchData: unknown;
  /** The Bluetooth LE payment service; undefined without BLE. */
  readonly ble: PhoneBlePort | undefined;
  /** PEM CA certificates the handset trusts for signed content (mails); the same store as its TLS. */
  readonly trustedCas: readonly string[];
  /** The handset's calendar time, Unix milliseconds (its clock plus `epochAtClockZero`). */
  calendarTime(): number;
  /** An event for the log (`app-log`), e.g. why a message was ignored; nothing is drawn. */
  log(message: string): void;
  /** False once the application has been stopped: its later calls draw nothing. */
  readonly active: boolean;
  /** Draws the application's own screen. */
  show(content: ScreenContent): void;
  ask(question: string, options?: AskOptions): Promise<string>;
  /** Resolves the 0-based index of the picked option. */
  choose(title: string, options: readonly string[]): Promise<number>;
  /** Shows `text` with two soft keys; true for the left one (default "Yes" / "No"). */
  confirm(text: string | readonly string[], softKeys?: ConfirmSoftKeys, title?: string): Promise<boolean>;
  notify(text: string, options?: NotifyOptions): void;
  /** Waits `ms` on the handset's clock (rejects with PromptCancelledError if the application stops). */
  sleep(ms: number): Promise<void>;
  /**
   * `promise`, or a DeadlineError once `ms` have passed on the handset's clock (FLOWS seed 001 step 6: the
   * phone waits at most two minutes for the gateway).
   */
  within<T>(ms: number, promise: Promise<T>): Promise<T>;
  /** The application is done: the handset returns to its menu. */
  exit(): void;
}

export interface PhoneApplication {
  /** Short identifier (`card-list`, `pay`), unique in the slot. */
  readonly id: string;
  /** The name in the menu. */
  readonly title: string;
  /**
   * Starts the application. It may run to the end of its flow (awaiting prompts) or draw a screen and wait
   * for `onKey`. A rejection with PromptCancelledError ends it quietly; any other one is shown as an error.
   */
  start(ctx: ApplicationContext): void | Promise<void>;
  /** Keys while no prompt is open. */
  onKey(key: Key): void;
  stop(): void;
  /**
   * A WAP Push (Service Indication) arrived, whether or not the application runs. It may fetch what the
   * push points at and start itself with `ctx.launch(launchData)`.
   */
  onPush?(push: WapPush, ctx: PushContext): void | Promise<void>;
}

/** A Service Indication delivered to the WAP Push port 2948 (WAP-259 annex; sms/wap-push.ts). */
export interface WapPush {
  /** The SMS originator. */
  originator: string;
  si: ServiceIndication;
}

/** What an installed application may use on a push, while it may not be running. */
export interface PushContext {
  readonly clock: Clock;
  readonly uim: UimAccess | undefined;
  readonly https: HttpsClient | undefined;
  readonly trustedCas: readonly string[];
  calendarTime(): number;
  /** `promise`, or a DeadlineError after `ms` of the handset's clock. */
  within<T>(ms: number, promise: Promise<T>): Promise<T>;
  log(message: string): void;
  /** Starts this application (as `handset.launch(id, launchData)`); false when the handset cannot now. */
  launch(launchData: unknown): boolean;
}

export type HandsetMode = 'off' | 'pin' | 'sim-blocked' | 'idle' | 'menu' | 'app';

export interface HandsetOptions {
  clock: Clock;
  uim?: UimAccess;
  radio?: SimulatedRadio;
  battery?: Battery;
  https?: HttpsClient;
  /** The Bluetooth LE payment service (undefined: the phone has none). */
  ble?: PhoneBlePort;
  /** PEM CA certificates trusted for signed content (the seed-001 mails); default none. */
  trustedCas?: readonly string[];
  /**
   * Unix ms at clock time 0, for calendar time (the card's authentication times, certificate validity).
   * Default 2026-01-01T00:00:00Z; a bench on the wall clock passes `Date.now() - clock.now()`.
   */
  epochAtClockZero?: number;
  /** Shown on the idle screen (the phone model). */
  name?: string;
  multiTapTimeoutMs?: number;
  /** Called after the handset has verified the PIN, so the modem can register (`PhoneModem.refreshSim`). */
  onSimReady?: () => void;
}

export interface HandsetEvent {
  type: 'screen' | 'app-started' | 'app-stopped' | 'app-error' | 'mode' | 'push' | 'push-ignored' | 'app-log';
  screen?: ScreenJson;
  app?: string;
  mode?: HandsetMode;
  error?: string;
  push?: WapPush;
  /** `push-ignored`: why; `app-log`: the application's message. */
  message?: string;
}

export const DEFAULT_EPOCH_AT_CLOCK_ZERO = Date.UTC(2026, 0, 1);

/** What `ctx.within` rejects with when its time is up. */
export class DeadlineError extends Error {
  constructor(readonly ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'DeadlineError';
  }
}

const DEFAULT_NOTIFY_MS = 3000;
const PIN_MIN = 4;
const PIN_MAX = 8;

interface Session {
  app: PhoneApplication;
  ctx: ApplicationContext;
  active: boolean;
  sleeps: Set<{ timer: TimerHandle; reject: (e: Error) => void }>;
}

/** `+CSQ` rssi → bars: 99 (unknown) and ≤1 none, then steps of about 5 dB. */
export function signalBars(rssi: number): number {
  if (rssi === 99 || rssi <= 1) return 0;
  if (rssi >= 20) return 4;
  if (rssi >= 15) return 3;
  if (rssi >= 10) return 2;
  return 1;
}

export class Handset {
  readonly screen = new Screen();
  readonly keypad = new Keypad();
  readonly clock: Clock;
  private readonly options: HandsetOptions;
  private readonly apps: PhoneApplication[] = [];
  private session: Session | undefined;
  private dialog: Dialog | undefined;
  private modeValue: HandsetMode = 'off';
  private menuSelected = 0;
  private identityValue: HandsetIdentity = { imsi: undefined, msisdn: undefined, iccid: undefined };
  private notifyTimer: TimerHandle | undefined;
  private readonly listeners: ((e: HandsetEvent) => void)[] = [];
  private readonly pushListeners = new Set<(push: WapPush) => void>();

  constructor(options: HandsetOptions) {
    this.options = options;
    this.clock = options.clock;
    this.keypad.onKey((k) => this.handleKey(k));
    this.screen.onChange((screen) => this.emit({ type: 'screen', screen }));
    options.radio?.onRegistration(() => this.refreshStatus());
  }

  get mode(): HandsetMode {
    return this.modeValue;
  }

  get identity(): HandsetIdentity {
    return { ...this.identityValue };
  }

  get applications(): readonly PhoneApplication[] {
    return [...this.apps];
  }

  /** The running application's id. */
  get runningApp(): string | undefined {
    return this.session?.app.id;
  }

  /** The open prompt's kind, if any. */
  get prompt(): Dialog['kind'] | undefined {
    return this.dialog?.open ? this.dialog.kind : undefined;
  }

  onEvent(listener: (e: HandsetEvent) => void): void {
    this.listeners.push(listener);
  }

  /** Calendar time, Unix ms: the clock plus `epochAtClockZero`. */
  calendarTime(): number {
    return (this.options.epochAtClockZero ?? DEFAULT_EPOCH_AT_CLOCK_ZERO) + this.clock.now();
  }

  /** Hears every WAP Push (after the installed applications); returns the unsubscribe function. */
  onPush(listener: (push: WapPush) => void): () => void {
    this.pushListeners.add(listener);
    return () => this.pushListeners.delete(listener);
  }

  /**
   * A message the modem took off port 2948 (never stored as a text): a Service Indication goes to every
   * installed application with `onPush` and to the `onPush` listeners; anything else is an event only.
   * Never throws.
   */
  receivePush(message: ReassembledMessage): void {
    const si = siFromMessage(message);
    if (!si.ok) {
      this.emit({ type: 'push-ignored', message: si.error.reason });
      return;
    }
    const push: WapPush = { originator: message.originator, si: si.value.si };
    this.emit({ type: 'push', push });
    for (const app of [...this.apps]) {
      if (!app.onPush) continue;
      try {
        const r = app.onPush(push, this.pushContext(app));
        if (r instanceof Promise) r.catch((err: unknown) => this.appLog(app, `push failed: ${String(err)}`));
      } catch (err) {
        this.appLog(app, `push failed: ${String(err)}`);
      }
    }
    for (const l of [...this.pushListeners]) {
      try {
        l(push);
      } catch {
        // A listener's failure is not the phone's.
      }
    }
  }

  /** Switches on: reads the card (asking for the PIN when it is enabled), then shows the idle screen. */
  powerOn(): void {
    this.refreshStatus();
    const uim = this.options.uim;
    if (!uim) {
      this.toIdle();
      return;
    }
    if (!uim.powered || !uim.dialect) uim.powerOn();
    this.checkSim();
  }

  install(app: PhoneApplication): void {
    if (!/^[a-z0-9][a-z0-9-]{0,31}$/.test(app.id))
      throw new RangeError(`application id "${app.id}": a-z 0-9 -`);
    if (this.apps.some((a) => a.id === app.id))
      throw new RangeError(`application "${app.id}" already installed`);
    this.apps.push(app);
    if (this.modeValue === 'menu') this.showMenu();
  }

  uninstall(id: string): void {
    if (this.session?.app.id === id) this.stopApp('uninstalled');
    const i = this.apps.findIndex((a) => a.id === id);
    if (i >= 0) this.apps.splice(i, 1);
    if (this.modeValue === 'menu') this.showMenu();
  }

  /**
   * Starts an installed application (from the menu, or by the phone itself, e.g. on a mail from the
   * gateway). A running one is stopped first. Throws HandsetInputError for an unknown id or while the SIM
   * is locked.
   */
  launch(id: string, launchData?: unknown): void {
    const app = this.apps.find((a) => a.id === id);
    if (!app) throw new HandsetInputError(`no application "${id}" installed`);
    if (this.modeValue === 'off' || this.modeValue === 'pin' || this.modeValue === 'sim-blocked') {
      throw new HandsetInputError(`the handset is ${this.modeValue === 'off' ? 'off' : 'locked by the SIM'}`);
    }
    if (this.session) this.stopApp('replaced');
    this.closeDialog('another application started');
    const session = this.makeSession(app, launchData);
    this.session = session;
    this.setMode('app');
    this.emit({ type: 'app-started', app: app.id });
    let started: void | Promise<void>;
    try {
      started = app.start(session.ctx);
    } catch (err) {
      this.appFailed(session, err);
      return;
    }
    if (started instanceof Promise) started.catch((err: unknown) => this.appFailed(session, err));
  }

  /** Presses a key (the control API, scenarios). Never throws. */
  press(key: Key): void {
    this.keypad.press(key);
  }

  /** Types text into the open input field, as a scenario does instead of multi-tapping. */
  enterText(text: string): void {
    if (this.dialog?.open) {
      this.dialog.enterText(text);
      return;
    }
    throw new HandsetInputError('no input field is open');
  }

  /** Picks item `index` (0-based) of the list on the screen: an open choice prompt or the menu. */
  choose(index: number): void {
    if (this.dialog?.open) {
      this.dialog.choose(index);
      return;
    }
    if (this.modeValue === 'menu') {
      const app = this.apps[index];
      if (!Number.isInteger(index) || !app) {
        throw new HandsetInputError(`no menu item ${index}: the menu has items 0–${this.apps.length - 1}`);
      }
      this.launch(app.id);
      return;
    }
    if (this.screen.choices) {
      throw new HandsetInputError(
        "this list is the application's own: it takes keys (up, down, ok), not choose",
      );
    }
    throw new HandsetInputError('no list is on the screen');
  }

  /** Answers the open prompt at once (field text, item text, soft-key label or yes/no). */
  answer(text: string): void {
    if (!this.dialog?.open) throw new HandsetInputError('no prompt is open');
    this.dialog.answer(text);
  }

  /** A notification over whatever is shown (e.g. a message arrived). */
  notify(text: string, options: NotifyOptions = {}): void {
    this.clock.clearTimeout(this.notifyTimer);
    this.screen.setNotification(text);
    this.notifyTimer = this.clock.setTimeout(() => {
      this.notifyTimer = undefined;
      this.screen.setNotification(undefined);
    }, options.durationMs ?? DEFAULT_NOTIFY_MS);
  }

  /** Reads signal, battery and operator again (they change without events: +CSQ, +CBC are plain values). */
  refreshStatus(): void {
    this.screen.setStatus(this.statusBar());
  }

  /** The screen as JSON, status bar refreshed. */
  screenJson(): ScreenJson {
    this.refreshStatus();
    return this.screen.toJSON();
  }

  private appLog(app: PhoneApplication, message: string): void {
    this.emit({ type: 'app-log', app: app.id, message });
  }

  private pushContext(app: PhoneApplication): PushContext {
    return {
      clock: this.clock,
      uim: this.options.uim,
      https: this.options.https,
      trustedCas: this.options.trustedCas ?? [],
      calendarTime: () => this.calendarTime(),
      within: (ms, promise) => this.within(ms, promise),
      log: (message) => this.appLog(app, message),
      launch: (launchData) => {
        if (!this.apps.includes(app)) return false;
        try {
          this.launch(app.id, launchData);
          return true;
        } catch (err) {
          this.appLog(app, `not started: ${err instanceof Error ? err.message : String(err)}`);
          return false;
        }
      },
    };
  }

  private within<T>(ms: number, promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => reject(new DeadlineError(ms)), ms);
      promise.then(
        (v) => {
          this.clock.clearTimeout(timer);
          resolve(v);
        },
        (err: unknown) => {
          this.clock.clearTimeout(timer);
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  }

  // ----- keys ---------------------------------------------------------------------------------------

  private handleKey(key: Key): void {
    try {
      this.routeKey(key);
    } catch (err) {
      // An application's key handler failing must not take the keypad down with it.
      if (this.session) this.appFailed(this.session, err);
    }
  }

  private routeKey(key: Key): void {
    this.refreshStatus();
    if (this.modeValue === 'off') return;
    if (this.screen.notification !== undefined) {
      // A notification is a transient overlay: the key clears it and still does what it does, so that a
      // scenario's key sequence means the same whether a notification happened to be up or not.
      this.clock.clearTimeout(this.notifyTimer);
      this.notifyTimer = undefined;
      this.screen.setNotification(undefined);
    }
    if (key === 'end' && this.modeValue !== 'pin' && this.modeValue !== 'sim-blocked') {
      if (this.session) this.stopApp('end key');
      this.closeDialog('end key');
      this.toIdle();
      return;
    }
    if (this.dialog?.open) {
      this.dialog.key(key);
      return;
    }
    switch (this.modeValue) {
      case 'app':
        this.session?.app.onKey(key);
        return;
      case 'idle':
        if (key === 'soft-left' || key === 'ok') this.showMenu();
        return;
      case 'menu':
        this.menuKey(key);
        return;
      default:
        return;
    }
  }

  private menuKey(key: Key): void {
    const n = this.apps.length;
    if (key === 'back' || key === 'soft-right') {
      this.toIdle();
    } else if ((key === 'up' || key === 'down') && n > 0) {
      this.menuSelected = (this.menuSelected + (key === 'up' ? n - 1 : 1)) % n;
      this.showMenu();
    } else if ((key === 'ok' || key === 'soft-left') && n > 0) {
      this.launch(this.apps[this.menuSelected]!.id);
    } else if (isDigitKey(key) && key !== '0' && Number(key) <= n) {
      this.launch(this.apps[Number(key) - 1]!.id);
    }
  }

  // ----- screens of the handset itself ---------------------------------------------------------------

  private toIdle(): void {
    this.setMode('idle');
    const lines = [this.statusBar().operator];
    if (this.identityValue.msisdn) lines.push(this.identityValue.msisdn);
    if (!this.options.uim) lines.push('No SIM');
    this.screen.show({ title: this.options.name ?? 'Phone', lines, softKeys: { left: 'Menu' } });
  }

  private showMenu(): void {
    this.setMode('menu');
    this.menuSelected = Math.min(this.menuSelected, Math.max(0, this.apps.length - 1));
    this.screen.show({
      title: 'Menu',
      ...(this.apps.length > 0
        ? { choices: { items: this.apps.map((a) => a.title), selected: this.menuSelected } }
        : { lines: ['No applications'] }),
      softKeys: { left: this.apps.length > 0 ? 'Select' : undefined, right: 'Back' },
    });
  }

  private checkSim(): void {
    const uim = this.options.uim!;
    const state = uim.pinState();
    if (state === 'READY') {
      this.readIdentity();
      this.toIdle();
      return;
    }
    if (state === 'SIM PIN') {
      this.askPin();
      return;
    }
    this.setMode('sim-blocked');
    this.closeDialog('SIM unusable');
    this.screen.show({
      title: 'SIM',
      lines: state === 'SIM PUK' ? ['SIM blocked', 'PUK required'] : ['SIM failure'],
    });
  }

  private askPin(): void {
    this.setMode('pin');
    const retries = this.options.uim!.retries().pin1;
    const title = retries === undefined ? 'Enter PIN' : `Enter PIN (${retries} left)`;
    // Callbacks, not a promise: the PIN is checked within the key press that submits it.
    this.openAsk(
      'PIN',
      { masked: true, numeric: true, maxLength: PIN_MAX, title },
      {
        resolve: (pin) => this.pinEntered(pin),
        reject: () => {
          // Back on an empty field: a phone keeps asking.
          if (this.modeValue === 'pin' && !this.dialog) this.askPin();
        },
      },
    );
  }

  private pinEntered(pin: string): void {
    if (this.modeValue !== 'pin') return;
    if (pin.length < PIN_MIN) {
      this.askPin();
      this.notify(`PIN is ${PIN_MIN}-${PIN_MAX} digits`);
      return;
    }
    const sw = this.options.uim!.verify('PIN1', pin);
    if (isOk(sw)) {
      this.options.onSimReady?.();
      this.checkSim();
      return;
    }
    if (isWrongCode(sw) && !isBlocked(sw)) {
      this.askPin();
      this.notify('Wrong PIN');
      return;
    }
    this.checkSim();
  }

  private readIdentity(): void {
    const uim = this.options.uim;
    if (!uim) return;
    const msisdn = uim.readMsisdn();
    this.identityValue = {
      imsi: uim.readImsi().imsi,
      msisdn: msisdn.numbers[0]?.number,
      iccid: uim.readIccid(),
    };
  }

  private statusBar(): StatusBar {
    const radio = this.options.radio;
    const battery = this.options.battery;
    const { rssi } = radio ? radio.signal() : { rssi: 99 };
    let operator = 'No service';
    if (radio) {
      const r = radio.registration;
      if (!radio.powered) operator = 'Radio off';
      else if (r.stat === RegistrationStatus.HOME && r.network) operator = r.network.long;
      else if (r.stat === RegistrationStatus.ROAMING && r.network) operator = `${r.network.long} (R)`;
      else if (r.stat === RegistrationStatus.SEARCHING) operator = 'Searching';
    }
    const registered = operator !== 'No service' && operator !== 'Searching' && operator !== 'Radio off';
    return {
      signalBars: registered ? signalBars(rssi) : 0,
      rssi,
      batteryLevel: battery && battery.status !== 2 ? Math.max(0, Math.min(100, battery.level)) : undefined,
      charging: battery?.status === 1,
      operator,
    };
  }

  // ----- prompts and sessions -------------------------------------------------------------------------

  private closeDialog(reason: string): void {
    const d = this.dialog;
    this.dialog = undefined;
    d?.cancel(reason);
  }

  private openAsk(question: string, options: AskOptions, settle: Settle<string>): void {
    this.closeDialog('another prompt opened');
    const timeout = this.options.multiTapTimeoutMs ?? DEFAULT_MULTI_TAP_TIMEOUT_MS;
    const d: Dialog = new AskDialog(this.screen, this.clock, question, options, timeout, settle, () =>
      this.dialogClosed(d),
    );
    this.dialog = d;
  }

  private openChoose(title: string, items: readonly string[]): Promise<number> {
    this.closeDialog('another prompt opened');
    if (items.length === 0)
      return Promise.reject(new HandsetInputError('choose() needs at least one option'));
    return new Promise<number>((resolve, reject) => {
      const d: Dialog = new ChooseDialog(this.screen, title, items, { resolve, reject }, () =>
        this.dialogClosed(d),
      );
      this.dialog = d;
    });
  }

  private openConfirm(title: string, lines: readonly string[], softKeys: ConfirmSoftKeys): Promise<boolean> {
    this.closeDialog('another prompt opened');
    return new Promise<boolean>((resolve, reject) => {
      const d: Dialog = new ConfirmDialog(this.screen, title, lines, softKeys, { resolve, reject }, () =>
        this.dialogClosed(d),
      );
      this.dialog = d;
    });
  }

  private dialogClosed(d: Dialog): void {
    if (this.dialog === d) this.dialog = undefined;
  }

  private makeSession(app: PhoneApplication, launchData: unknown): Session {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const handset = this;
    const stopped = (): Promise<never> => Promise.reject(new PromptCancelledError('application stopped'));
    const session: Session = {
      app,
      active: true,
      sleeps: new Set(),
      ctx: {
        screen: this.screen,
        clock: this.clock,
        uim: this.options.uim,
        get identity() {
          return handset.identity;
        },
        https: this.options.https,
        launchData,
        ble: this.options.ble,
        trustedCas: this.options.trustedCas ?? [],
        calendarTime: () => handset.calendarTime(),
        log: (message) => {
          if (session.active) handset.appLog(app, message);
        },
        get active() {
          return session.active;
        },
        show: (content) => {
          if (session.active) {
            handset.closeDialog('application drew a screen');
            handset.screen.show(content);
          }
        },
        ask: (q, o) =>
          session.active
            ? new Promise<string>((resolve, reject) => handset.openAsk(q, o ?? {}, { resolve, reject }))
            : stopped(),
        choose: (t, items) => (session.active ? handset.openChoose(t, items) : stopped()),
        confirm: (text, softKeys, title) => {
          if (!session.active) return stopped();
          const lines = typeof text === 'string' ? text.split('\n') : [...text];
          return handset.openConfirm(title ?? app.title, lines, softKeys ?? { yes: 'Yes', no: 'No' });
        },
        notify: (text, o) => {
          if (session.active) handset.notify(text, o);
        },
        sleep: (ms) => {
          if (!session.active) return stopped();
          return new Promise<void>((resolve, reject) => {
            const entry = {
              timer: handset.clock.setTimeout(() => {
                session.sleeps.delete(entry);
                resolve();
              }, ms),
              reject,
            };
            session.sleeps.add(entry);
          });
        },
        within: <T>(ms: number, promise: Promise<T>): Promise<T> => handset.within(ms, promise),
        exit: () => {
          if (session.active && handset.session === session) {
            handset.stopApp('exit');
            handset.showMenu();
          }
        },
      },
    };
    return session;
  }

  private stopApp(reason: string): void {
    const s = this.session;
    if (!s) return;
    this.session = undefined;
    s.active = false;
    this.closeDialog(reason);
    for (const sleep of s.sleeps) {
      this.clock.clearTimeout(sleep.timer);
      sleep.reject(new PromptCancelledError('application stopped'));
    }
    s.sleeps.clear();
    try {
      s.app.stop();
    } catch {
      // Stopping is best effort; the slot is free either way.
    }
    this.emit({ type: 'app-stopped', app: s.app.id });
  }

  private appFailed(session: Session, err: unknown): void {
    if (!session.active || this.session !== session) return;
    this.stopApp('error');
    if (err instanceof PromptCancelledError) {
      this.showMenu();
      return;
    }
    const message = err instanceof Error ? err.message : String(err);
    this.emit({ type: 'app-error', app: session.app.id, error: message });
    this.showMenu();
    this.notify(`${session.app.title}: error`);
  }

  private setMode(mode: HandsetMode): void {
    if (mode === this.modeValue) return;
    this.modeValue = mode;
    this.emit({ type: 'mode', mode });
  }

  private emit(e: HandsetEvent): void {
    for (const l of [...this.listeners]) {
      try {
        l(e);
      } catch {
        // An observer's failure is not the phone's.
      }
    }
  }
}

/**
 * The handset of a modem: its SIM, radio and battery, registering once the handset has taken the PIN. The
 * modem hands it what arrives on the WAP Push port (2948) instead of storing it as a text message.
 */
export function handsetForModem(
  modem: PhoneModem,
  options: Omit<HandsetOptions, 'uim' | 'radio' | 'battery' | 'onSimReady'>,
): Handset {
  const handset = new Handset({
    name: modem.profile.model,
    ...options,
    ...(modem.sim ? { uim: modem.sim } : {}),
    radio: modem.radio,
    battery: modem.battery,
    onSimReady: () => modem.refreshSim(),
  });
  modem.sms.setPortHandler(WAP_PUSH_PORT, (message) => handset.receivePush(message));
  return handset;
}
