/** `benchtwin profiles`: the profiles emulated twins are made from. */
import { SCANNER_PROFILES } from '../../devices/profiles/scanners.js';
import { loadCardFixtures } from '../../devices/profiles/cards.js';
import { loadPhoneFixtures } from '../../devices/profiles/phones.js';

export function runProfiles(opts: { json: boolean }): number {
  const rows = [
    ...Object.values(SCANNER_PROFILES).map((p) => ({
      transport: `emu:scanner/${p.name}`,
      kind: 'scanner',
      protocol: p.commandSet,
      device: `${p.identity.manufacturer} ${p.identity.model}, ${p.line.baudRate} ${p.line.dataBits}${p.line.parity[0]!.toUpperCase()}${p.line.stopBits}`,
    })),
    ...Object.values(loadCardFixtures()).map((c) => ({
      transport: `emu:uim/${c.name}`,
      kind: 'uim',
      protocol: c.commandClass,
      device: `ICCID ${c.iccid}, IMSI ${c.imsi}`,
    })),
    ...Object.values(loadPhoneFixtures()).map((p) => ({
      transport: `emu:phone/${p.name}`,
      kind: 'phone',
      protocol: 'at',
      device: `${p.manufacturer} ${p.model}, IMEI ${p.imei}${p.card ? `, card ${p.card}` : ', no card'}`,
    })),
    {
      transport: 'emu:ir/<nickname>',
      kind: 'ir',
      protocol: 'irda',
      device: 'an IrDA device (a USB dongle on a serial port) answering discovery as <nickname>, with OBEX',
    },
  ];
  if (opts.json) {
    console.log(JSON.stringify(rows, null, 2));
    return 0;
  }
  for (const r of rows) console.log(`${r.transport.padEnd(34)} ${r.protocol.padEnd(10)} ${r.device}`);
  return 0;
}
