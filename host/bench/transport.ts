/**
 * Transport strings name a device, real or emulated, in one line (in the style of Bumble's `usb:0`):
 *   serial:/dev/ttyACM0?baud=9600&protocol=ssi     a real serial device
 *   emu:scanner/honeywell-1900?mode=serial         an emulated twin of a profile
 *   hid:0c2e:0b61?protocol=hid-pos                  a real USB HID device (through node-hid)
 *   evdev:/dev/input/by-id/…-event-kbd              a real keyboard-wedge scanner's key events
 *   ble:hci0, pcsc:<reader>                         other real devices
 * A bench file maps roles to these strings: it is the only place where real or emulated is decided.
 */

export type TransportScheme = 'serial' | 'emu' | 'hid' | 'evdev' | 'ble' | 'pcsc';

export interface SerialTransport {
  scheme: 'serial';
  path: string;
  options: Record<string, string>;
}

export interface EmulatedTransport {
  scheme: 'emu';
  /** Device kind, e.g. `scanner`. */
  kind: string;
  /** Profile name within the kind, e.g. `honeywell-1900`. */
  profile: string;
  options: Record<string, string>;
}

export interface OtherTransport {
  scheme: 'hid' | 'evdev' | 'ble' | 'pcsc';
  address: string;
  options: Record<string, string>;
}

export type Transport = SerialTransport | EmulatedTransport | OtherTransport;

export class TransportError extends Error {
  constructor(
    readonly input: string,
    readonly expected: string,
  ) {
    super(`invalid transport "${input}": expected ${expected}`);
    this.name = 'TransportError';
  }
}

const SCHEMES: readonly TransportScheme[] = ['serial', 'emu', 'hid', 'evdev', 'ble', 'pcsc'];

export const TRANSPORT_EXAMPLES =
  'serial:/dev/ttyACM0?baud=9600, emu:scanner/honeywell-1900?mode=serial, hid:0c2e:0b61, evdev:/dev/input/event3, ble:hci0 or pcsc:<reader name>';

function parseQuery(input: string, query: string): Record<string, string> {
  const options: Record<string, string> = {};
  if (query === '') return options;
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = decodeURIComponent(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? 'true' : part.slice(eq + 1);
    if (!/^[A-Za-z][\w-]*$/.test(key))
      throw new TransportError(input, `option names made of letters, digits, - and _`);
    try {
      options[key] = decodeURIComponent(value);
    } catch {
      throw new TransportError(input, `a percent-encoded value for option "${key}"`);
    }
  }
  return options;
}

export function parseTransport(input: string): Transport {
  const colon = input.indexOf(':');
  const scheme = input.slice(0, colon) as TransportScheme;
  if (colon < 0 || !SCHEMES.includes(scheme)) {
    throw new TransportError(
      input,
      `one of ${SCHEMES.map((s) => s + ':').join(', ')} (e.g. ${TRANSPORT_EXAMPLES})`,
    );
  }
  const rest = input.slice(colon + 1);
  const q = rest.indexOf('?');
  const address = q < 0 ? rest : rest.slice(0, q);
  const options = parseQuery(input, q < 0 ? '' : rest.slice(q + 1));
  switch (scheme) {
    case 'serial':
      if (!address.startsWith('/'))
        throw new TransportError(input, 'an absolute device path, e.g. serial:/dev/ttyACM0');
      return { scheme, path: address, options };
    case 'emu': {
      const m = /^([a-z][a-z0-9-]*)\/([A-Za-z0-9][\w.-]*)$/.exec(address);
      if (!m) throw new TransportError(input, 'emu:<kind>/<profile>, e.g. emu:scanner/honeywell-1900');
      return { scheme, kind: m[1]!, profile: m[2]!, options };
    }
    case 'evdev':
      if (!address.startsWith('/'))
        throw new TransportError(input, 'an absolute event device path, e.g. evdev:/dev/input/event3');
      return { scheme, address, options };
    default:
      if (address === '') throw new TransportError(input, `an address after "${scheme}:"`);
      return { scheme, address, options };
  }
}

export function formatTransport(t: Transport): string {
  const query = Object.entries(t.options)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
  const head =
    t.scheme === 'serial'
      ? `serial:${t.path}`
      : t.scheme === 'emu'
        ? `emu:${t.kind}/${t.profile}`
        : `${t.scheme}:${t.address}`;
  return query ? `${head}?${query}` : head;
}
