import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../firmware-sim/clock.js';
import { Air } from '../../../devices/ble/air.js';
import { VirtualController } from '../../../devices/ble/controller.js';
import { encodeCommand } from '../../../devices/ble/hci/packets.js';
import { createNoble, loadBleno, type Noble } from '../../../devices/ble/seam/install.js';
import {
  parseBleTransport,
  registerVirtualController,
  unregisterVirtualController,
} from '../../../devices/ble/seam/registry.js';
import { BluetoothHciSocket, withHciTarget } from '../../../devices/ble/seam/socket.js';
import { once, type Peripheral } from './bench.js';

const h = (s: string) => Buffer.from(s.replace(/\s/g, ''), 'hex');

function controllerOnAir(address: string) {
  const air = new Air({ clock: new VirtualClock() });
  const controller = new VirtualController({ air, address });
  const devId = registerVirtualController(controller);
  return { air, controller, devId };
}

function collect(socket: BluetoothHciSocket): Buffer[] {
  const got: Buffer[] = [];
  socket.on('data', (d: Buffer) => got.push(d));
  return got;
}

const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

describe('transport strings', () => {
  it('ble:hci0, ble:usb:<vid>:<pid>, ble:virtual:<devId>', () => {
    const { controller, devId } = controllerOnAir('d0:00:00:00:00:01');
    expect(parseBleTransport('ble:hci0')).toEqual({ kind: 'native', devId: 0 });
    expect(parseBleTransport('ble:usb:0a12:0001')).toEqual({ kind: 'usb', vid: 0x0a12, pid: 0x0001 });
    expect(parseBleTransport(`ble:virtual:${devId}`)).toEqual({ kind: 'virtual', controller, devId });
    expect(() => parseBleTransport('ble:virtual:9999')).toThrow(/no virtual controller/);
    expect(() => parseBleTransport('bt:hci0')).toThrow(/expected ble:hci<N>/);
    unregisterVirtualController(controller);
  });
});

describe('BluetoothHciSocket of the seam', () => {
  it('bindRaw by device id reaches the registered virtual controller; the hci_filter drops unwanted events', async () => {
    const { controller, devId } = controllerOnAir('d0:00:00:00:00:02');
    const socket = new BluetoothHciSocket();
    const got = collect(socket);
    expect(socket.bindRaw(devId)).toBe(devId);
    socket.start();
    expect(socket.isDevUp()).toBe(true);
    // Packet type event only; event code Command Complete (0x0E) only.
    const filter = Buffer.alloc(16);
    filter.writeUInt32LE(1 << 4, 0);
    filter.writeUInt32LE(1 << 0x0e, 4);
    socket.setFilter(filter);
    socket.write(encodeCommand({ name: 'Disconnect', connectionHandle: 0x40, reason: 0x13 })); // answered by Command Status
    socket.write(encodeCommand({ name: 'Reset' }));
    await settle();
    expect(got).toEqual([h('040e0401030c00')]);
    controller.powerOff();
    expect(socket.isDevUp()).toBe(false);
    unregisterVirtualController(controller);
  });

  it('control socket: MGMT Load Long Term Keys reaches the controller; other operations get Command Status 0x01', async () => {
    const { controller, devId } = controllerOnAir('d0:00:00:00:00:03');
    const socket = withHciTarget({ kind: 'virtual', controller, devId }, () => new BluetoothHciSocket());
    const got = collect(socket);
    socket.bindControl();
    socket.start();
    const key = Buffer.alloc(36);
    h('665544332211').copy(key, 0); // 11:22:33:44:55:66
    key[6] = 1; // BDADDR_LE_PUBLIC
    key[9] = 16;
    h('00112233445566778899aabbccddeeff').copy(key, 20);
    const params = Buffer.concat([h('0100'), key]);
    const head = Buffer.alloc(6);
    head.writeUInt16LE(0x0013, 0);
    head.writeUInt16LE(0, 2);
    head.writeUInt16LE(params.length, 4);
    socket.write(Buffer.concat([head, params]));
    socket.write(h('0500 0000 0000')); // Set Powered without parameters
    await settle();
    expect(controller.longTermKeys).toEqual([
      {
        address: '11:22:33:44:55:66',
        addressType: 0,
        encryptedDiversifier: 0,
        randomNumber: Buffer.alloc(8),
        longTermKey: h('00112233445566778899aabbccddeeff'),
      },
    ]);
    expect(got).toEqual([h('0100 0000 0300 1300 00'), h('0200 0000 0300 0500 01')]);
    unregisterVirtualController(controller);
  });

  it('an unregistered device id goes to the native module, whose state noble reports', async () => {
    const noble = createNoble('ble:hci77');
    const [state] = await once<[string]>(noble, 'stateChange');
    // No hci77 here: the real socket says powered off, unsupported or unauthorized; never a virtual "poweredOn".
    expect(['poweredOff', 'unsupported', 'unauthorized']).toContain(state);
  });
});

describe('several stacks in one process', () => {
  it('two bleno copies (two phones) and two noble instances on one air: each central discovers both phones', async () => {
    const air = new Air({ clock: new VirtualClock() });
    const phones = [1, 2].map(
      (i) => new VirtualController({ air, address: `d1:00:00:00:00:0${i}`, position: { x: i, y: 0 } }),
    );
    const terminals = [1, 2].map(
      (i) => new VirtualController({ air, address: `d2:00:00:00:00:0${i}`, position: { x: 0, y: i } }),
    );
    const service = 'b7c100019d4c4e5a8d7051c22a3e6f1b';
    const blenos = phones.map((p) => loadBleno(p));
    expect(blenos[0]).not.toBe(blenos[1]);
    await Promise.all(
      blenos.map(async (bleno, i) => {
        const started = once(bleno, 'advertisingStart');
        bleno.on('stateChange', (s: string) => {
          if (s === 'poweredOn') bleno.startAdvertising(`phone-${i + 1}`, [service]);
        });
        await started;
      }),
    );
    const nobles: Noble[] = terminals.map((t) => createNoble(t));
    for (const noble of nobles) {
      if ((noble as unknown as { state: string }).state !== 'poweredOn')
        await once(noble, 'stateChange', (s: string) => s === 'poweredOn');
    }
    const seen = await Promise.all(
      nobles.map(async (noble) => {
        const names = new Set<string>();
        const both = new Promise<void>((resolve) =>
          noble.on('discover', (p: Peripheral) => {
            names.add(`${p.advertisement.localName}@${p.address}`);
            if (names.size === 2) resolve();
          }),
        );
        await noble.startScanningAsync([service], false);
        await both;
        await noble.stopScanningAsync();
        return [...names].sort();
      }),
    );
    expect(seen).toEqual([
      ['phone-1@d1:00:00:00:00:01', 'phone-2@d1:00:00:00:00:02'],
      ['phone-1@d1:00:00:00:00:01', 'phone-2@d1:00:00:00:00:02'],
    ]);
    for (const bleno of blenos) bleno.stopAdvertising();
    for (const c of [...phones, ...terminals]) {
      c.powerOff();
      unregisterVirtualController(c);
    }
  });
});

describe('createNoble: ACL data for a link that is gone', () => {
  it('is dropped, as a controller drops data for an unknown handle (noble 1.9 would throw from flushAcl)', async () => {
    const { controller } = controllerOnAir('d0:00:00:00:00:0c');
    const noble = createNoble(controller);
    if ((noble as unknown as { state: string }).state !== 'poweredOn')
      await once(noble, 'stateChange', (s: string) => s === 'poweredOn');
    const hci = (
      noble as unknown as {
        _bindings: {
          _hci: {
            writeAclDataPkt(handle: number, cid: number, data: Buffer): Promise<void>;
            flushAcl(): Promise<void>;
            _aclQueue: unknown[];
          };
        };
      }
    )._bindings._hci;
    const written: Buffer[] = [];
    const socket = (hci as unknown as { _socket: BluetoothHciSocket })._socket;
    const write = socket.write.bind(socket);
    socket.write = (d: Buffer) => {
      written.push(Buffer.from(d));
      write(d);
    };
    // An ATT write whose link ended while noble awaited its buffer sizes: handle 0x0999 was never connected.
    await hci.writeAclDataPkt(0x0999, 0x0004, h('0a0300'));
    await expect(hci.flushAcl()).resolves.toBeUndefined();
    await settle();
    expect(hci._aclQueue).toHaveLength(0);
    expect(written.filter((d) => d[0] === 0x02)).toHaveLength(0);
    unregisterVirtualController(controller);
  });
});
