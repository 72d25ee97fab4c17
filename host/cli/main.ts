/** The `benchtwin` command. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../devices/project-root.js';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { runDemo } from './demo.js';
import { runDevices } from './devices.js';
import { runEmulate, runUp } from './up.js';
import { runProfiles } from './profiles.js';
import { runCardRead } from './card.js';
import { runScenarioCommand } from './run.js';
import { runDescribe } from './describe.js';

export class UsageError extends Error {}

const HELP = `benchtwin — emulated payment peripherals that speak the real protocols to host drivers

Usage: benchtwin <command> [options]

Commands:
  demo                      run the all-emulated demonstration bench
  emulate scanner           start one scanner twin and keep it running
  emulate uim               start one UIM (SIM card) twin in pcscd and keep it running
  emulate phone             start one phone twin (AT modem with its UIM; --ir adds an IR port)
  emulate ir                start one standalone IR (IrDA + OBEX) device twin
  up <bench.yaml>           start every device of a bench file and keep them running
  run <scenario.yaml>       run a scenario on its own bench; exits 1 if a step fails
  card read                 dump ICCID, IMSI, MSISDN, phone book (and payment data) of a card
  devices                   list real serial and HID devices and the twins of running benches
  profiles                  list the device profiles twins can be made from
  describe <profile>        describe a profile; --descriptor prints its HID report descriptor
  help [command]            show help for a command

Options for every command:
  -h, --help                show help
  --version                 print the version

Run "benchtwin help <command>" for the options of a command.`;

const COMMAND_HELP: Record<string, string> = {
  demo: `Usage: benchtwin demo [options]

All-emulated benches, in two parts.
Scanners: a scanner twin of each command set (Honeywell serial commands, Zebra SSI) scans rendered
EAN-13, Code 128, GS1-128, QR, PDF417 and Data Matrix images; the UnifiedPOS Scanner driver reads each
label through a real pseudo-terminal and prints its DataEvent.
Payment flows: every seed-001 scenario of fixtures/scenarios/ (phone, UIM, Bluetooth LE, mobile terminal,
POS, gateway, SMSC, credit servers, on the virtual clock), one bench each, with a summary table of what
the POS ended with and how POS, gateway and issuer journals reconcile. Each run leaves its transcript and
captures in its bench's runtime folder.
Exits 1 if any scan is missed or any flow fails.

Options:
  --only scanners|flows     run one part only (default both)
  --scenario <text>         flows: only the scenarios whose name contains <text>
  --clock wall|virtual      scanners: wall paces bytes at the line rate (default); virtual delivers at once
  --profile <name>          scanners: run one scanner profile only (see "benchtwin profiles")
  --capture <dir>           scanners: write a pcapng capture of every serial link into <dir>
  --json                    print one JSON object per DataEvent and per scenario, and JSON summaries`,
  emulate: `Usage: benchtwin emulate scanner [options]
       benchtwin emulate uim [options]
       benchtwin emulate phone [options]
       benchtwin emulate ir [options]

Starts one twin and keeps it running until SIGINT or SIGTERM.
scanner: a barcode scanner on a pseudo-terminal; open the printed path as you would /dev/ttyACM0.
uim: a SIM/UICC card put into pcscd through vsmartcard's vpcd driver; it appears as a card in the
printed PC/SC reader ("Virtual PCD 00 00"). pcscd must be running with vsmartcard-vpcd installed.

phone: a handset's AT modem (27.007/27.005) on a pseudo-terminal at 115200 baud, with the UIM of its
profile in the SIM holder; open the printed path as you would /dev/ttyUSB2 of a real phone or modem.
ir: an IrDA device on a pseudo-terminal (as a USB IrDA dongle appears), answering discovery by its
nickname and serving OBEX over Tiny TP.

Options (phone):
  --profile <name>          phone profile in fixtures/phones (default seed001; see "benchtwin profiles")
  --ir                      also an IR port (a second pseudo-terminal), printed as "ir"
  --ble                     also Bluetooth LE: the phone advertises the payment GATT service on a
                            virtual controller; a second controller on the same air is exported as H4
                            over TCP, printed as "ble" (ble:h4tcp:127.0.0.1:<port>): noble in another
                            process attaches through it as the POS
  --user-id <id>            the user id the phone offers (encrypted read) until the payment
                            application sets it
  --name, --port, --clock, --capture, --json   as for scanner; --json prints
                            {"role","transport":"serial","path","msisdn","ir"?,"control"}

Options (ir):
  --profile <nickname>      the device's discovery nickname (default benchtwin-ir)
  --name, --port, --clock, --capture, --json   as for scanner

Options (uim):
  --profile <name>          card profile in fixtures/cards (default usim-seed001; see "benchtwin profiles")
  --vpcd <host:port>        pcscd's vpcd slot (default 127.0.0.1:35963, reader "Virtual PCD 00 00")
  --name, --port, --json    as for scanner; --json prints {"role","transport":"pcsc","reader","control"}

Options (scanner):
  --profile <name>          scanner profile (default honeywell-1900; see "benchtwin profiles")
  --mode serial|hid-pos|wedge
                            serial: a pseudo-terminal; hid-pos: a USB HID POS scanner (usage page 0x8C);
                            wedge: a USB keyboard typing the label. HID twins are emulated HID devices
                            with node-hid's HIDAsync surface, reachable in-process and through the control
                            API (the printed path is emu:hid/<name>)
  --layout us|uk|de|fr|jp   wedge: the scanner's keyboard country (default us)
  --baud <n>                line speed (default: the profile's, 9600); also --data-bits, --parity, --stop-bits
  --clock wall|virtual      wall paces bytes at the line rate (default); virtual delivers at once
  --name <name>             device name in the bench and its symlink (default scanner)
  --port <n>                control API port on 127.0.0.1 (default: any free port)
  --capture <dir>           write a pcapng capture of the serial link into <dir>
  --json                    print one JSON line {"role","transport","path","control"} when ready`,
  up: `Usage: benchtwin up <bench.yaml> [options]

Starts every emulated device of the bench file, checks real ones, serves the control API and keeps
running until SIGINT or SIGTERM.

Options:
  --json                    print one JSON line per device (role, transport, path, control) when ready`,
  run: `Usage: benchtwin run <scenario.yaml> [options]

Starts the scenario's bench (inline, or a bench file it names), opens its host drivers on the devices'
endpoints exactly as on real devices, runs its steps in order and stops at the first that fails. Steps:
scan (a symbol or a PNG in front of a scanner), expect-data / expect-error / expect-no-data (what a driver
must report), action (any control-API action of a device: unplug, replug, faults…), wait.
Exits 0 when every step passed, 1 when one failed, 2 for a mistake in the file (named with its line).

Options:
  --transcript <file>       write one JSON line per bench and driver event
  --json                    print one JSON line per step and a JSON summary`,
  card: `Usage: benchtwin card read [options]

Reads a SIM/UICC in a PC/SC reader — a real card in a USB reader or a UIM twin in pcscd — and prints its
ATR, command class, ICCID, IMSI, MSISDN, service provider, phone book and PIN state; with --pin it
verifies the PIN and also dumps the payment DF. Exits 1 if the card cannot be read.

Options:
  --reader <name>           the PC/SC reader (default: the only reader with a card)
  --pin <digits>            verify this PIN first (a wrong PIN costs one of the card's tries)
  --json                    print the report as JSON`,
  devices: `Usage: benchtwin devices [options]

Lists the real serial ports, USB HID devices (node-hid; hid:<vid>:<pid>[:<serial>] paths) and keyboard
event devices (evdev: paths, for wedge scanners) of this machine, and the devices of every running bench
(HID twins live in their bench's process as emu:hid/<name>).

Options:
  --json                    print JSON`,
  describe: `Usage: benchtwin describe <profile> [options]

Describes a device profile (see "benchtwin profiles"): identity, serial settings, USB ids, symbologies.
With --descriptor, prints the HID report descriptor its twin presents, in hex and as an item list in the
words of the HID specification (Usage Page, Collection, Report Count, Input (Data,Var,Abs)…).

Options:
  --descriptor              print the HID report descriptor
  --mode hid-pos|wedge      which USB interface: HID POS (usage page 0x8C, default) or the keyboard
  --json                    print JSON (with --descriptor: the hex string and every item)`,
  profiles: `Usage: benchtwin profiles [options]

Lists the device profiles that emulated twins are made from (use them as emu:<kind>/<profile>).

Options:
  --json                    print JSON`,
};

function version(): string {
  const pkg = JSON.parse(readFileSync(path.join(projectRoot(), 'package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

const COMMON = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const satisfies ParseArgsConfig['options'];

function parse<O extends NonNullable<ParseArgsConfig['options']>>(
  command: string,
  args: string[],
  options: O,
) {
  try {
    return parseArgs({ args, options: { ...COMMON, ...options }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\nRun "benchtwin help ${command}" for its options.`);
  }
}

export function oneOf<T extends string>(
  name: string,
  value: string | undefined,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`--${name} ${value}: expected one of ${allowed.join(', ')}`);
  }
  return value as T;
}

export function integer(
  name: string,
  value: string | undefined,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`--${name} ${value}: expected a whole number from ${min} to ${max}`);
  return n;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case 'help':
      case '--help':
      case '-h': {
        const topic = rest[0];
        console.log(topic && COMMAND_HELP[topic] ? COMMAND_HELP[topic] : HELP);
        return topic && !COMMAND_HELP[topic] ? 2 : 0;
      }
      case '--version':
        console.log(version());
        return 0;
      case 'demo': {
        const { values } = parse('demo', rest, {
          clock: { type: 'string' },
          profile: { type: 'string' },
          capture: { type: 'string' },
          json: { type: 'boolean' },
          only: { type: 'string' },
          scenario: { type: 'string' },
        });
        if (values.help) return printHelp('demo');
        const only =
          values.only === undefined ? undefined : oneOf('only', values.only, ['scanners', 'flows'], 'flows');
        return await runDemo({
          clock: oneOf('clock', values.clock, ['wall', 'virtual'], 'wall'),
          profile: values.profile,
          captureDir: values.capture,
          json: values.json ?? false,
          only,
          scenario: values.scenario,
        });
      }
      case 'emulate': {
        const { values, positionals } = parse('emulate', rest, {
          profile: { type: 'string' },
          mode: { type: 'string' },
          baud: { type: 'string' },
          'data-bits': { type: 'string' },
          parity: { type: 'string' },
          'stop-bits': { type: 'string' },
          clock: { type: 'string' },
          name: { type: 'string' },
          port: { type: 'string' },
          capture: { type: 'string' },
          vpcd: { type: 'string' },
          layout: { type: 'string' },
          ir: { type: 'boolean' },
          ble: { type: 'boolean' },
          'user-id': { type: 'string' },
          json: { type: 'boolean' },
        });
        if (values.help) return printHelp('emulate');
        const kind = positionals[0] ?? '';
        if (!['scanner', 'uim', 'phone', 'ir'].includes(kind) || positionals.length > 1) {
          throw new UsageError(
            `emulate: expected a device kind: scanner, uim, phone or ir (got ${positionals.join(' ') || 'nothing'})`,
          );
        }
        if (kind === 'phone' || kind === 'ir') {
          for (const k of ['mode', 'baud', 'data-bits', 'parity', 'stop-bits', 'vpcd', 'layout'] as const) {
            if (values[k] !== undefined) throw new UsageError(`--${k}: not an option of emulate ${kind}`);
          }
          if (kind === 'ir' && (values.ir || values.ble || values['user-id'] !== undefined))
            throw new UsageError('--ir, --ble, --user-id: options of emulate phone');
          if (values['user-id'] !== undefined && !values.ble)
            throw new UsageError('--user-id: an option of --ble');
          const phoneQuery = new URLSearchParams();
          if (values.ir) phoneQuery.set('ir', 'on');
          if (values.ble) phoneQuery.set('ble', 'on');
          if (values['user-id'] !== undefined) phoneQuery.set('userId', values['user-id']);
          return await runEmulate({
            kind,
            profile: values.profile ?? (kind === 'phone' ? 'seed001' : 'benchtwin-ir'),
            query: phoneQuery.toString(),
            clock: oneOf('clock', values.clock, ['wall', 'virtual'], 'wall'),
            name: values.name ?? kind,
            port: integer('port', values.port, 0, 65535) ?? 0,
            capture: values.capture,
            json: values.json ?? false,
          });
        }
        if (values.ir || values.ble || values['user-id'] !== undefined)
          throw new UsageError('--ir, --ble, --user-id: options of emulate phone');
        if (kind === 'uim') {
          for (const k of [
            'mode',
            'baud',
            'data-bits',
            'parity',
            'stop-bits',
            'clock',
            'capture',
            'layout',
          ] as const) {
            if (values[k] !== undefined) throw new UsageError(`--${k}: not an option of emulate uim`);
          }
          return await runEmulate({
            kind,
            profile: values.profile ?? 'usim-seed001',
            query: new URLSearchParams(values.vpcd !== undefined ? { vpcd: values.vpcd } : {}).toString(),
            clock: 'wall',
            name: values.name ?? kind,
            port: integer('port', values.port, 0, 65535) ?? 0,
            capture: undefined,
            json: values.json ?? false,
          });
        }
        if (values.vpcd !== undefined) throw new UsageError('--vpcd: an option of emulate uim');
        const line = new URLSearchParams();
        if (values.baud !== undefined) line.set('baud', values.baud);
        if (values['data-bits'] !== undefined) line.set('dataBits', values['data-bits']);
        if (values.parity !== undefined) line.set('parity', values.parity);
        if (values['stop-bits'] !== undefined) line.set('stopBits', values['stop-bits']);
        const mode = oneOf('mode', values.mode, ['serial', 'hid-pos', 'wedge'], 'serial');
        line.set('mode', mode);
        if (values.layout !== undefined) {
          if (mode !== 'wedge') throw new UsageError('--layout: an option of --mode wedge');
          line.set('layout', values.layout);
        }
        if (
          mode !== 'serial' &&
          [...line.keys()].some((k) => ['baud', 'dataBits', 'parity', 'stopBits'].includes(k))
        ) {
          throw new UsageError(
            `--baud, --data-bits, --parity, --stop-bits: options of --mode serial, not ${mode}`,
          );
        }
        return await runEmulate({
          kind,
          profile: values.profile ?? 'honeywell-1900',
          query: line.toString(),
          clock: oneOf('clock', values.clock, ['wall', 'virtual'], 'wall'),
          name: values.name ?? kind,
          port: integer('port', values.port, 0, 65535) ?? 0,
          capture: values.capture,
          json: values.json ?? false,
        });
      }
      case 'up': {
        const { values, positionals } = parse('up', rest, { json: { type: 'boolean' } });
        if (values.help) return printHelp('up');
        if (positionals.length !== 1)
          throw new UsageError('up: expected one bench file, e.g. benchtwin up fixtures/benches/lane.yaml');
        return await runUp({ file: positionals[0]!, json: values.json ?? false });
      }
      case 'run': {
        const { values, positionals } = parse('run', rest, {
          json: { type: 'boolean' },
          transcript: { type: 'string' },
        });
        if (values.help) return printHelp('run');
        if (positionals.length !== 1)
          throw new UsageError(
            'run: expected one scenario file, e.g. benchtwin run fixtures/scenarios/x.yaml',
          );
        return await runScenarioCommand({
          file: positionals[0]!,
          json: values.json ?? false,
          transcript: values.transcript,
        });
      }
      case 'card': {
        const { values, positionals } = parse('card', rest, {
          reader: { type: 'string' },
          pin: { type: 'string' },
          json: { type: 'boolean' },
        });
        if (values.help) return printHelp('card');
        if (positionals[0] !== 'read' || positionals.length > 1) {
          throw new UsageError(`card: expected "card read" (got ${['card', ...positionals].join(' ')})`);
        }
        return await runCardRead({ reader: values.reader, pin: values.pin, json: values.json ?? false });
      }
      case 'devices': {
        const { values } = parse('devices', rest, { json: { type: 'boolean' } });
        if (values.help) return printHelp('devices');
        return await runDevices({ json: values.json ?? false });
      }
      case 'describe': {
        const { values, positionals } = parse('describe', rest, {
          descriptor: { type: 'boolean' },
          mode: { type: 'string' },
          json: { type: 'boolean' },
        });
        if (values.help) return printHelp('describe');
        if (positionals.length !== 1)
          throw new UsageError('describe: expected one profile name, e.g. benchtwin describe honeywell-1900');
        if (values.mode !== undefined && !values.descriptor)
          throw new UsageError('--mode: an option of --descriptor');
        return runDescribe({
          profile: positionals[0]!,
          descriptor: values.descriptor ?? false,
          mode: oneOf('mode', values.mode, ['hid-pos', 'wedge'], 'hid-pos'),
          json: values.json ?? false,
        });
      }
      case 'profiles': {
        const { values } = parse('profiles', rest, { json: { type: 'boolean' } });
        if (values.help) return printHelp('profiles');
        return runProfiles({ json: values.json ?? false });
      }
      default:
        throw new UsageError(`unknown command "${command}"\n\n${HELP}`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`benchtwin: ${err.message}`);
      return 2;
    }
    throw err;
  }
}

function printHelp(command: string): number {
  console.log(COMMAND_HELP[command]);
  return 0;
}
