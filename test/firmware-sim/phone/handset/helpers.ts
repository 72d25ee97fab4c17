/** Shared helpers of the handset tests: a handset with the seed-001 modem and its real UimCard. */
import { VirtualClock } from '../../../../firmware-sim/clock.js';
import { handsetForModem } from '../../../../firmware-sim/phone/handset/handset.js';
import type { Handset } from '../../../../firmware-sim/phone/handset/handset.js';
import type { HandsetOptions } from '../../../../firmware-sim/phone/handset/handset.js';
import { phone } from '../at/helpers.js';
import type { TestPhone } from '../at/helpers.js';

export interface TestHandset {
  handset: Handset;
  clock: VirtualClock;
  phone: TestPhone;
}

/**
 * The seed-001 phone (usim-seed001 card, PIN 1234) with a handset on its modem's SIM, radio and battery,
 * switched on: the PIN prompt is open unless `pin` is given, in which case it has been entered.
 */
export function seedHandset(
  options: { pin?: string; profile?: string; extra?: Partial<HandsetOptions> } = {},
): TestHandset {
  const clock = new VirtualClock();
  const p = phone(options.profile ?? 'seed001', { clock, echo: false, registrationDelayMs: 1000 });
  const handset = handsetForModem(p.modem, { clock, ...options.extra });
  handset.powerOn();
  if (options.pin !== undefined) {
    handset.enterText(options.pin);
    handset.press('ok');
  }
  return { handset, clock, phone: p };
}

/** Lets promise continuations (an application after its prompt resolved) run. */
export const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
