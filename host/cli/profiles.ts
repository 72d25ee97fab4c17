/** `benchtwin profiles`: the profiles emulated twins are made from. */
import { SCANNER_PROFILES } from '../../devices/profiles/scanners.js';

export function runProfiles(opts: { json: boolean }): number {
  const rows = Object.values(SCANNER_PROFILES).map((p) => ({
    transport: `emu:scanner/${p.name}`,
    kind: 'scanner',
    commandSet: p.commandSet,
    device: `${p.identity.manufacturer} ${p.identity.model}`,
    line: `${p.line.baudRate} ${p.line.dataBits}${p.line.parity[0]!.toUpperCase()}${p.line.stopBits}`,
  }));
  if (opts.json) {
    console.log(JSON.stringify(rows, null, 2));
    return 0;
  }
  for (const r of rows)
    console.log(`${r.transport.padEnd(34)} ${r.commandSet.padEnd(10)} ${r.line.padEnd(8)} ${r.device}`);
  return 0;
}
