/** What the bench and its control API know of a device, real or emulated. */

export interface DeviceEndpoint {
  /**
   * How the host reaches it: `serial` = a path opened with serialport; `hid` = a path opened through the HID
   * bus (node-hid or an emulated device); `evdev` = a keyboard's event device.
   */
  transport: 'serial' | 'hid' | 'evdev' | 'ble' | 'pcsc' | 'smpp' | 'https' | 'iso8583';
  /** Stable path (a symlink for twins, like /dev/serial/by-id). */
  path?: string;
  /** Current pseudo-terminal behind the stable path (twins only). */
  pts?: string;
  /** PC/SC reader name, as pcscd lists it (smart cards). */
  reader?: string;
  /** A network service's address (`smpp://127.0.0.1:2775`). */
  url?: string;
}

export interface DeviceSummary {
  name: string;
  role: string;
  kind: string;
  transport: string;
  emulated: boolean;
  endpoint: DeviceEndpoint;
  /** Further ports of the same device (a phone's `ir` port…), by name. */
  endpoints?: Record<string, DeviceEndpoint>;
  /** A phone's subscriber number. */
  msisdn?: string;
}

/** A bench event, streamed on the control API's WebSocket and written to transcripts. */
export interface BenchEvent {
  /** Milliseconds since the epoch (wall) — virtual runs still stamp wall time for readers. */
  time: number;
  device: string;
  type: string;
  [key: string]: unknown;
}

export class ActionError extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'ActionError';
  }
}

export type DeviceAction = (body: unknown) => Promise<unknown>;

export interface DeviceView {
  contentType: string;
  body: Buffer | string;
}

export interface BenchDevice {
  summary(): DeviceSummary;
  /** Current state for `GET /devices/<name>`. */
  state(): Record<string, unknown>;
  /** Actions reachable as `POST /devices/<name>/<action>`. */
  readonly actions: Readonly<Record<string, DeviceAction>>;
  /** Resolves when the device can be used from the host (e.g. a card taken by pcscd); rejects saying why not. */
  ready?(timeoutMs: number): Promise<void>;
  /**
   * Read-only views reachable as `GET /devices/<name>/<view>` (a phone's `screen`), each answering in the
   * format asked for (`?format=png`), or JSON by default.
   */
  readonly views?: Readonly<Record<string, (format: string | null) => Promise<DeviceView>>>;
  /** Subscribe to this device's events. */
  onEvent(listener: (event: BenchEvent) => void): void;
  close(): Promise<void>;
}

/** The event side of a bench device: its listeners, and events stamped with the time and the device's name. */
export class DeviceEvents {
  private readonly listeners = new Set<(event: BenchEvent) => void>();

  constructor(private readonly device: string) {}

  on(listener: (event: BenchEvent) => void): void {
    this.listeners.add(listener);
  }

  emit(type: string, fields: Record<string, unknown> = {}): void {
    const event: BenchEvent = { time: Date.now(), device: this.device, type, ...fields };
    for (const l of this.listeners) l(event);
  }
}
