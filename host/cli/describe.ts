/** `benchtwin describe <profile>`: what a profile's twin is, and with --descriptor its HID report descriptor. */
import { BOOT_KEYBOARD_DESCRIPTOR } from '../../firmware-sim/hid/descriptors/boot-keyboard.js';
import { HID_POS_SCANNER_DESCRIPTOR } from '../../firmware-sim/hid/descriptors/hid-pos-scanner.js';
import { formatDescriptor, listDescriptorItems } from '../../firmware-sim/hid/item-list.js';
import { SCANNER_PROFILES } from '../../devices/profiles/scanners.js';
import { loadCardFixtures } from '../../devices/profiles/cards.js';
import { UsageError } from './main.js';

export interface DescribeOptions {
  profile: string;
  descriptor: boolean;
  mode: 'hid-pos' | 'wedge';
  json: boolean;
}

const hex4 = (n: number): string => n.toString(16).padStart(4, '0');

export function runDescribe(o: DescribeOptions): number {
  const scanner = Object.hasOwn(SCANNER_PROFILES, o.profile) ? SCANNER_PROFILES[o.profile] : undefined;
  if (!scanner) {
    const cards = loadCardFixtures();
    if (Object.hasOwn(cards, o.profile)) {
      if (o.descriptor)
        throw new UsageError(`${o.profile} is a card profile: it has no HID report descriptor`);
      const c = cards[o.profile]!;
      console.log(
        o.json
          ? JSON.stringify(c, null, 2)
          : `${o.profile}: ${c.commandClass} card, ICCID ${c.iccid}, IMSI ${c.imsi}`,
      );
      return 0;
    }
    throw new UsageError(
      `unknown profile "${o.profile}": expected one of ${[...Object.keys(SCANNER_PROFILES), ...Object.keys(cards)].join(', ')}`,
    );
  }
  if (o.descriptor) {
    const bytes = o.mode === 'hid-pos' ? HID_POS_SCANNER_DESCRIPTOR : BOOT_KEYBOARD_DESCRIPTOR;
    if (o.json) {
      console.log(
        JSON.stringify(
          {
            profile: scanner.name,
            mode: o.mode,
            hex: Buffer.from(bytes).toString('hex'),
            ...listDescriptorItems(bytes),
          },
          null,
          2,
        ),
      );
    } else {
      console.log(
        `${scanner.identity.manufacturer} ${scanner.identity.model} (${scanner.name}), ${o.mode === 'hid-pos' ? 'USB HID POS interface' : 'USB keyboard interface'}, ` +
          `USB ${hex4(scanner.usb.vendorId)}:${hex4(scanner.usb.productIds[o.mode])}`,
      );
      console.log(formatDescriptor(bytes));
    }
    return 0;
  }
  const summary = {
    profile: scanner.name,
    device: `${scanner.identity.manufacturer} ${scanner.identity.model}`,
    serialNumber: scanner.identity.serialNumber,
    firmware: scanner.identity.firmwareRevision,
    commandSet: scanner.commandSet,
    serial: `${scanner.line.baudRate} ${scanner.line.dataBits}${scanner.line.parity[0]!.toUpperCase()}${scanner.line.stopBits}`,
    usb: {
      hidPos: `${hex4(scanner.usb.vendorId)}:${hex4(scanner.usb.productIds['hid-pos'])}`,
      keyboard: `${hex4(scanner.usb.vendorId)}:${hex4(scanner.usb.productIds.wedge)}`,
      wedgeInterKeyMs: scanner.usb.wedgePacing.interKeyMs,
    },
    symbologies: scanner.symbologies,
  };
  if (o.json) console.log(JSON.stringify(summary, null, 2));
  else {
    console.log(
      `${summary.profile}: ${summary.device} (serial number ${summary.serialNumber}, firmware ${summary.firmware})`,
    );
    console.log(`  serial:      ${summary.commandSet} command set, ${summary.serial}`);
    console.log(
      `  USB HID POS: ${summary.usb.hidPos}; keyboard wedge: ${summary.usb.keyboard}, a key every ${summary.usb.wedgeInterKeyMs} ms`,
    );
    console.log(`  symbologies: ${summary.symbologies.join(', ')}`);
    console.log(`  (--descriptor prints the HID report descriptor; --mode wedge the keyboard's)`);
  }
  return 0;
}
