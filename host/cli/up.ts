/** `benchtwin emulate` and `benchtwin up`: start devices and keep them running until a signal. */
import { BenchFileError, loadBenchFile, type BenchConfig } from '../bench/bench-file.js';
import { startBench, type RunningBench } from '../bench/bench.js';
import { parseTransport } from '../bench/transport.js';
import { UsageError } from './main.js';

function endpointLine(bench: RunningBench, name: string): Record<string, unknown> {
  const d = bench.devices.get(name)!;
  const s = d.summary();
  const where =
    s.endpoint.transport === 'pcsc'
      ? { reader: s.endpoint.reader }
      : s.endpoint.url !== undefined
        ? { url: s.endpoint.url }
        : { path: s.endpoint.path };
  return {
    role: s.role,
    transport: s.endpoint.transport,
    ...where,
    ...(s.msisdn ? { msisdn: s.msisdn } : {}),
    ...Object.fromEntries(Object.entries(s.endpoints ?? {}).map(([k, e]) => [k, e.path ?? e.reader])),
    control: bench.control.deviceUrl(name),
    ...(s.emulated ? {} : { real: true }),
  };
}

/** Resolves on SIGINT/SIGTERM, after closing the bench: twins free their PTYs and symlinks. */
function runUntilSignal(bench: RunningBench): Promise<number> {
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      bench.close().then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

export interface EmulateOptions {
  kind: string;
  profile: string;
  /** Options of the transport string, e.g. `mode=serial&baud=9600` or `vpcd=127.0.0.1:35963`. */
  query: string;
  clock: 'wall' | 'virtual';
  name: string;
  port: number;
  capture: string | undefined;
  json: boolean;
}

export async function runEmulate(o: EmulateOptions): Promise<number> {
  if (!/^[a-z][a-z0-9-]*$/.test(o.name))
    throw new UsageError(`--name ${o.name}: expected lower-case letters, digits and "-"`);
  const transportText = `emu:${o.kind}/${o.profile}${o.query ? `?${o.query}` : ''}`;
  const config: BenchConfig = {
    name: `emulate-${o.name}`,
    clock: o.clock,
    controlPort: o.port,
    roles: [
      {
        role: o.name,
        transport: parseTransport(transportText),
        transportText,
        capture: o.capture !== undefined,
      },
    ],
  };
  if (o.capture !== undefined) config.captureDir = o.capture;
  const bench = await startBench(config);
  const line = endpointLine(bench, o.name);
  if (o.json) console.log(JSON.stringify(line));
  else {
    console.log(`${o.kind} twin "${o.name}" (${o.profile}) ready`);
    const endpoint = bench.devices.get(o.name)!.summary().endpoint;
    if (endpoint.transport === 'pcsc') console.log(`  PC/SC reader ${String(endpoint.reader)}`);
    else if (endpoint.transport === 'hid') {
      console.log(`  HID device   ${String(endpoint.path)} (in process; scan through the control API)`);
    } else console.log(`  serial path  ${String(endpoint.path)}  (pts ${String(endpoint.pts)})`);
    const s = bench.devices.get(o.name)!.summary();
    if (s.msisdn) console.log(`  MSISDN       ${s.msisdn}`);
    for (const [k, e] of Object.entries(s.endpoints ?? {})) {
      console.log(`  ${`${k} port`.padEnd(12)} ${String(e.path)}  (pts ${String(e.pts)})`);
    }
    console.log(`  control      ${String(line['control'])}`);
    console.log('Press Ctrl-C to stop.');
  }
  return runUntilSignal(bench);
}

export async function runUp(o: { file: string; json: boolean }): Promise<number> {
  let config: BenchConfig;
  try {
    config = loadBenchFile(o.file);
  } catch (err) {
    if (err instanceof BenchFileError) throw new UsageError(err.message);
    throw err;
  }
  const bench = await startBench(config);
  if (o.json) {
    for (const name of bench.devices.keys()) console.log(JSON.stringify(endpointLine(bench, name)));
  } else {
    console.log(`bench "${bench.name}" up; control ${bench.control.url}`);
    for (const [name, d] of bench.devices) {
      const s = d.summary();
      console.log(
        `  ${name.padEnd(12)} ${s.emulated ? 'twin' : 'real'}  ${s.transport}  ${s.endpoint.path ?? s.endpoint.url ?? ''}`,
      );
    }
    console.log('Press Ctrl-C to stop.');
  }
  return runUntilSignal(bench);
}
