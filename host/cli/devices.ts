/**
 * `benchtwin devices`: real serial ports from serialport's list, real HID devices from node-hid's, keyboard
 * event devices from /dev/input/by-id, and the devices of running benches.
 */
import { readdirSync } from 'node:fs';
import { SerialPort } from 'serialport';
import { hidIdsPath, listHidDevices } from '../../devices/hid/hid-bus.js';
import { listRunningBenches } from '../bench/registry.js';
import type { DeviceSummary } from '../bench/device.js';

interface BenchListing {
  bench: string;
  control: string;
  devices: (DeviceSummary & { control: string })[];
  error?: string;
}

type PortInfo = Awaited<ReturnType<typeof SerialPort.list>>[number];

/** serialport lists through udevadm; without udev (containers), USB serial devices are still in /dev. */
async function listSerialPorts(): Promise<{ ports: PortInfo[]; note?: string }> {
  try {
    return { ports: await SerialPort.list() };
  } catch (err) {
    const names = (() => {
      try {
        return readdirSync('/dev').filter((n) => /^tty(USB|ACM|AMA|XRUSB)\d+$/.test(n));
      } catch {
        return [];
      }
    })();
    const ports = names.map((n) => ({ path: `/dev/${n}` }) as PortInfo);
    return { ports, note: `serialport could not enumerate (${(err as Error).message}); listed /dev instead` };
  }
}

/** Keyboards (and wedge scanners) as the event interface names them: their `evdev:` paths. */
function listKeyboardEventDevices(): string[] {
  try {
    return readdirSync('/dev/input/by-id')
      .filter((n) => n.endsWith('-event-kbd'))
      .map((n) => `evdev:/dev/input/by-id/${n}`);
  } catch {
    return [];
  }
}

export async function runDevices(opts: { json: boolean }): Promise<number> {
  const { ports, note } = await listSerialPorts();
  // This process has no emulated HID devices of its own: what is listed here is real.
  const hid = await listHidDevices();
  const keyboards = listKeyboardEventDevices();
  const benches: BenchListing[] = [];
  for (const rec of listRunningBenches()) {
    try {
      const res = await fetch(`${rec.control}/devices`, { signal: AbortSignal.timeout(3000) });
      const body = (await res.json()) as { devices: BenchListing['devices'] };
      benches.push({ bench: rec.name, control: rec.control, devices: body.devices });
    } catch (err) {
      benches.push({ bench: rec.name, control: rec.control, devices: [], error: String(err) });
    }
  }
  if (opts.json) {
    console.log(
      JSON.stringify({ serial: ports, ...(note ? { note } : {}), hid, keyboards, benches }, null, 2),
    );
    return 0;
  }
  console.log('Real serial ports:');
  if (note) console.log(`  (${note})`);
  if (ports.length === 0) console.log('  (none)');
  for (const p of ports) {
    const id = p.vendorId ? ` ${p.vendorId}:${p.productId ?? '????'}` : '';
    const who = [p.manufacturer, p.serialNumber && `serial ${p.serialNumber}`].filter(Boolean).join(', ');
    console.log(`  serial:${p.path}${id}${who ? `  (${who})` : ''}`);
  }
  console.log('Real HID devices:');
  if (hid.length === 0) console.log('  (none)');
  for (const d of hid) {
    const page = d.usagePage !== undefined ? ` usage page 0x${d.usagePage.toString(16)}` : '';
    const who = [d.manufacturer, d.product].filter(Boolean).join(' ');
    console.log(`  ${hidIdsPath(d)}  ${d.path ?? ''}${page}${who ? `  (${who})` : ''}`);
  }
  console.log('Keyboard event devices (wedge scanners):');
  if (keyboards.length === 0) console.log('  (none)');
  for (const k of keyboards) console.log(`  ${k}`);
  console.log('Running benches:');
  if (benches.length === 0) console.log('  (none)');
  for (const b of benches) {
    console.log(`  ${b.bench}  control ${b.control}${b.error ? `  unreachable: ${b.error}` : ''}`);
    for (const d of b.devices) {
      const where = d.endpoint.path
        ? `${d.endpoint.path}${d.endpoint.pts ? ` -> ${d.endpoint.pts}` : ''}`
        : (d.endpoint.url ?? d.endpoint.reader ?? '');
      console.log(`    ${d.name.padEnd(12)} ${d.emulated ? 'twin' : 'real'}  ${d.transport}  ${where}`);
    }
  }
  return 0;
}
