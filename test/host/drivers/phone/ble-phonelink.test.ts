/**
 * BlePhoneLink's failure branches against the phone twin (unmodified noble and bleno over virtual
 * controllers on a virtual clock): timeouts, ATT errors as typed errors, a link lost without reconnection.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../../firmware-sim/clock.js';
import { Air } from '../../../../devices/ble/air.js';
import { VirtualController } from '../../../../devices/ble/controller.js';
import { PhoneGatt } from '../../../../devices/ble/phone-gatt.js';
import { unregisterVirtualController } from '../../../../devices/ble/seam/registry.js';
import { BlePhoneLink, PhoneLinkError } from '../../../../host/drivers/phone/ble-phonelink.js';

interface Rig {
  clock: VirtualClock;
  phone: PhoneGatt;
  link: BlePhoneLink;
  close(): Promise<void>;
}
let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

let n = 0;
async function start(
  options: { userId?: string; reconnect?: { attempts: number; delayMs: number } } = {},
): Promise<Rig> {
  const clock = new VirtualClock({ autoAdvance: { quietMs: 50 } });
  const air = new Air({ clock });
  const k = (++n).toString(16).padStart(2, '0');
  const phone = await PhoneGatt.start({
    air,
    address: `5a:80:00:00:00:${k}`,
    name: `phone-${k}`,
    ...(options.userId ? { userId: options.userId } : {}),
  });
  const pos = new VirtualController({ air, address: `5a:81:00:00:00:${k}` });
  const link = await BlePhoneLink.open({
    transport: pos,
    clock,
    timeouts: { connectMs: 3000 },
    ...(options.reconnect ? { reconnect: options.reconnect } : {}),
  });
  return {
    clock,
    phone,
    link,
    async close() {
      await link.close();
      await phone.close();
      pos.close();
      unregisterVirtualController(pos);
      air.close();
      clock.dispose();
    },
  };
}

describe('BlePhoneLink failure branches (phone twin)', () => {
  it('connect to a phone that went out of range times out after connectMs (virtual clock), then works once it is back', async () => {
    rig = await start({ userId: '00001' });
    const [found] = await rig.link.discover({ timeoutMs: 2000, count: 1 });
    rig.phone.controller.moveTo({ x: 5000, y: 0 });
    const t0 = rig.clock.now();
    await expect(rig.link.connect(found!)).rejects.toMatchObject({ code: 'Timeout' });
    expect(rig.clock.now() - t0).toBeGreaterThanOrEqual(3000);
    await rig.link.disconnect();
    rig.phone.controller.moveTo({ x: 1, y: 0 });
    await rig.link.connect(found!);
    await rig.link.pair();
    expect(await rig.link.readUserId()).toBe('00001');
  });

  it('a phone without an authenticated user: readUserId fails at once with AttError 0x81, the link stays paired', async () => {
    rig = await start();
    const [found] = await rig.link.discover({ timeoutMs: 2000, count: 1 });
    await rig.link.connect(found!);
    await rig.link.pair();
    expect(rig.link.isPaired).toBe(true);
    const t0 = rig.clock.now();
    const error = await rig.link.readUserId().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PhoneLinkError);
    expect(error).toMatchObject({ code: 'AttError', attError: 0x81 });
    expect(rig.clock.now() - t0).toBeLessThan(5000);
    rig.phone.setUserId('00003');
    expect(await rig.link.readUserId()).toBe('00003');
  });

  it('without reconnection, a phone powered off mid-session is reported gone (Disconnected) after the supervision timeout', async () => {
    rig = await start({ userId: '00001', reconnect: { attempts: 0, delayMs: 0 } });
    const [found] = await rig.link.discover({ timeoutMs: 2000, count: 1 });
    await rig.link.connect(found!);
    const gone = new Promise<PhoneLinkError>((r) => rig!.link.once('gone', r));
    rig.phone.controller.powerOff();
    const error = await gone;
    expect(error.code).toBe('Disconnected');
    expect(error.message).toMatch(/0x8\)/);
    await expect(rig.link.readUserId()).rejects.toMatchObject({ code: 'NotConnected' });
  });
});
