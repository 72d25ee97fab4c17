/**
 * The SMSC as a bench service: an SMPP client (the smpp package's, an independent implementation) binds with
 * the bench's account; kill and restart keep the port and the SQLite queue.
 */
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startBench, type RunningBench } from '../../../host/bench/bench.js';
import { parseTransport } from '../../../host/bench/transport.js';
import type { SmscServiceDevice } from '../../../host/bench/smsc-device.js';
import { Esme } from '../../services/smsc/helpers.js';

let bench: RunningBench | undefined;
afterEach(async () => {
  await bench?.close();
  if (bench) rmSync(bench.runtimeDir, { recursive: true, force: true });
  bench = undefined;
});

async function smscBench(transportText: string): Promise<SmscServiceDevice> {
  bench = await startBench(
    {
      name: `smsc-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
      clock: 'wall',
      controlPort: 0,
      roles: [{ role: 'smsc', transport: parseTransport(transportText), transportText, capture: false }],
    },
    { register: false },
  );
  return bench.devices.get('smsc') as SmscServiceDevice;
}

describe('emu:smsc on the bench', () => {
  it('serves SMPP on its endpoint with the configured account, and refuses a wrong password', async () => {
    const smsc = await smscBench('emu:smsc/main?systemId=pos&password=secret');
    const summary = smsc.summary();
    expect(summary.endpoint).toEqual({ transport: 'smpp', url: `smpp://127.0.0.1:${smsc.port}` });
    const ok = await Esme.connect(smsc.port);
    expect((await ok.call('bind_transceiver', { system_id: 'pos', password: 'secret' })).command_status).toBe(
      0,
    );
    ok.close();
    const bad = await Esme.connect(smsc.port);
    // ESME_RINVPASWD (SMPP 3.4 §5.1.3)
    expect((await bad.call('bind_transceiver', { system_id: 'pos', password: 'wrong' })).command_status).toBe(
      0x0e,
    );
    bad.close();
  });

  it('kill stops it at once; restart serves the same port and queue again', async () => {
    const smsc = await smscBench('emu:smsc/main');
    const port = smsc.port;
    await smsc.actions['kill']!({});
    expect(smsc.state()).toMatchObject({ running: false });
    await expect(Esme.connect(port)).rejects.toThrow();
    await smsc.actions['restart']!({});
    expect(smsc.port).toBe(port);
    const e = await Esme.connect(port);
    expect(
      (await e.call('bind_transmitter', { system_id: 'benchtwin', password: 'benchtwn' })).command_status,
    ).toBe(0);
    e.close();
    expect(smsc.state()['queue']).toBeDefined();
  });

  it('names what it expected for bad options', async () => {
    await expect(smscBench('emu:smsc/main?port=99999')).rejects.toThrow(/port: expected 0/);
    await expect(smscBench('emu:smsc/main?password=muchtoolong')).rejects.toThrow(/password at most 8/);
    await expect(smscBench('emu:smsc/main?tls=on')).rejects.toThrow(/unknown option tls/);
  });
});
