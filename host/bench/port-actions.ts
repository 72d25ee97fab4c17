/** What every emulated serial link on the bench offers: fault injection and the USB cable, as actions. */
import type { EmulatedSerialPort } from '../../devices/serial/port.js';
import type { z } from 'zod';
import { FaultsSchema } from './bench-file.js';
import { ActionError, type DeviceAction, type DeviceEvents } from './device.js';

/** `faults`, `unplug` and `replug` on a port; its unplug/replug events go to the device's event stream. */
export function serialLinkActions(
  port: EmulatedSerialPort,
  events: DeviceEvents,
): Record<string, DeviceAction> {
  port.on('unplugged', () => events.emit('unplugged', {}));
  port.on('replugged', (pts) => events.emit('replugged', { pts }));
  return {
    faults: async (body) => {
      const parsed = FaultsSchema.safeParse(body);
      if (!parsed.success) throw invalidBody('faults', parsed.error);
      const { seed: _seed, ...faults } = parsed.data;
      try {
        port.setFaults(faults);
      } catch (err) {
        throw new ActionError(`faults: ${(err as Error).message}`);
      }
      events.emit('faults', { faults });
      return { faults: port.faults };
    },
    unplug: async () => {
      if (!port.plugged) throw new ActionError('already unplugged', 409);
      port.unplug();
      return { plugged: false };
    },
    replug: async () => {
      if (port.plugged) throw new ActionError('already plugged in', 409);
      port.replug();
      return { plugged: true, pts: port.ptsPath };
    },
  };
}

/** A transport string's options must all be known: the error names the unknown ones and the known ones. */
export function checkOptions(
  transportText: string,
  options: Record<string, string>,
  known: readonly string[],
): void {
  const unknown = Object.keys(options).filter((k) => !known.includes(k));
  if (unknown.length) {
    throw new Error(`${transportText}: unknown option ${unknown.join(', ')}; expected ${known.join(', ')}`);
  }
}

/** An action body that failed its schema: what was wrong, and where in the body. */
export function invalidBody(what: string, err: z.ZodError): ActionError {
  const issue = err.issues[0];
  const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
  return new ActionError(`${what}${where}: ${issue?.message ?? 'invalid'}`);
}
