/**
 * The Scanner contract: one driver test, run unchanged against the twin in each command-set profile (serial),
 * the HID POS and keyboard-wedge twins, and against a real scanner when BENCHTWIN_REAL_SCANNER names one (reported skipped otherwise).
 * Real parts throughout: serialport on a pseudo-terminal (or the real device), the control API over HTTP.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  PowerNotify,
  Scanner,
  ScanDataType,
  StatusUpdate,
  UposError,
  type DataEvent,
} from '../../host/drivers/scanner/index.js';
import { realTarget, twinTarget, type ScannerTarget } from './scanner-targets.js';

const GUARD_MS = 20_000;

/** The driver's protocol trace, shown when a wait gives up. */
const traces: string[] = [];

async function until(what: string, cond: () => boolean, guardMs = GUARD_MS): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > guardMs)
      throw new Error(`gave up waiting for ${what}; driver trace:\n${traces.slice(-30).join('\n')}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const real = realTarget();
const suites: { name: string; make: (() => Promise<ScannerTarget>) | undefined; reason?: string }[] = [
  { name: 'twin honeywell-1900 (Honeywell serial commands)', make: () => twinTarget('honeywell-1900') },
  { name: 'twin zebra-ds4308 (Zebra SSI)', make: () => twinTarget('zebra-ds4308') },
  { name: 'twin honeywell-1900 as USB HID POS', make: () => twinTarget('honeywell-1900', 'hid-pos') },
  { name: 'twin honeywell-1900 as a USB keyboard wedge', make: () => twinTarget('honeywell-1900', 'wedge') },
  real
    ? { name: real.name, make: async () => real }
    : {
        name: 'real scanner — skipped: set BENCHTWIN_REAL_SCANNER=serial:<path>?protocol=…, hid:<vid>:<pid>?protocol=hid-pos|wedge or evdev:<event device> to run',
        make: undefined,
      },
];

for (const suite of suites) {
  describe.skipIf(!suite.make)(`Scanner contract: ${suite.name}`, () => {
    let target: ScannerTarget;
    let scanner: Scanner;
    const events: DataEvent[] = [];
    const statuses: number[] = [];
    const errors: number[] = [];

    beforeEach(async () => {
      target = await suite.make!();
      scanner = new Scanner(target.driver);
      events.length = 0;
      statuses.length = 0;
      errors.length = 0;
      scanner.on('dataEvent', (e) => events.push(e));
      scanner.on('statusUpdateEvent', (e) => statuses.push(e.status));
      scanner.on('errorEvent', (e) => errors.push(e.errorCode));
      traces.length = 0;
      const t0 = Date.now();
      scanner.on('trace', (m) => traces.push(`${Date.now() - t0} ms ${m}`));
      scanner.on('statusUpdateEvent', (e) =>
        traces.push(`${Date.now() - t0} ms StatusUpdateEvent ${e.status}`),
      );
      await scanner.open();
      await scanner.claim(5000);
      // UnifiedPOS reports power changes only when asked to, before the device is enabled.
      scanner.powerNotify = PowerNotify.PN_ENABLED;
      await scanner.setDeviceEnabled(true);
      scanner.decodeData = true;
    });

    afterEach(async () => {
      await scanner.close().catch(() => undefined);
      await target.close();
    });

    it('delivers an EAN-13 label as a DataEvent with ScanData, ScanDataLabel and ScanDataType', async () => {
      scanner.dataEventEnabled = true;
      await target.scan('ean13', '4901234567894');
      await until('DataEvent', () => events.length === 1);
      expect(scanner.scanDataLabel.toString('latin1')).toBe('4901234567894');
      expect(scanner.scanDataType).toBe(ScanDataType.EAN13);
      expect(scanner.scanData.length).toBeGreaterThanOrEqual(13);
      // UnifiedPOS: DataEventEnabled turns false after each DataEvent.
      expect(scanner.dataEventEnabled).toBe(false);
    });

    it('delivers 2D and GS1 labels byte for byte', async () => {
      const cases = [
        {
          symbology: 'qr',
          text: 'PAY:8f3a9c1e;AMT=1200',
          label: 'PAY:8f3a9c1e;AMT=1200',
          type: ScanDataType.QRCODE,
        },
        {
          symbology: 'gs1-128',
          text: '(01)09501101530003(10)AB-123(17)270704',
          label: '010950110153000310AB-123\x1d17270704',
          type: ScanDataType.EAN128,
        },
        { symbology: 'datamatrix', text: 'LOT 42', label: 'LOT 42', type: ScanDataType.DATAMATRIX },
      ] as const;
      for (const c of cases) {
        scanner.dataEventEnabled = true;
        const before = events.length;
        await target.scan(c.symbology, c.text);
        await until(`DataEvent for ${c.symbology}`, () => events.length === before + 1);
        expect(scanner.scanDataLabel.toString('latin1')).toBe(c.label);
        expect(scanner.scanDataType).toBe(c.type);
      }
    });

    it('queues labels while events are frozen and delivers them in order', async () => {
      scanner.freezeEvents = true;
      scanner.dataEventEnabled = true;
      await target.scan('code128', 'FIRST-1');
      await target.scan('code128', 'SECOND-2');
      await until('two queued labels', () => scanner.dataCount === 2);
      expect(events).toHaveLength(0);
      const labels: string[] = [];
      scanner.on('dataEvent', () => {
        labels.push(scanner.scanDataLabel.toString('latin1'));
        scanner.dataEventEnabled = true;
      });
      scanner.freezeEvents = false;
      await until('both DataEvents', () => labels.length === 2);
      expect(labels).toEqual(['FIRST-1', 'SECOND-2']);
      expect(scanner.dataCount).toBe(0);
    });

    it('clearInput drops queued labels', async () => {
      await target.scan('ean8', '96385074');
      await until('a queued label', () => scanner.dataCount === 1);
      scanner.clearInput();
      expect(scanner.dataCount).toBe(0);
      scanner.dataEventEnabled = true;
      await target.scan('ean8', '96385074');
      await until('DataEvent after clearInput', () => events.length === 1);
      expect(scanner.scanDataType).toBe(ScanDataType.EAN8);
    });

    it.skipIf(!!real && suite.name === real.name)(
      'survives the port vanishing and resumes after replug (twin only: a real one needs a hand on the cable)',
      async () => {
        const twin = target.twin!;
        // ErrorEvents, like DataEvents, are delivered only while DataEventEnabled is true.
        scanner.dataEventEnabled = true;
        await twin.actions['unplug']!({});
        await until('SUE_POWER_OFF_OFFLINE', () => statuses.includes(StatusUpdate.SUE_POWER_OFF_OFFLINE));
        await until('an ErrorEvent', () => errors.length > 0);
        expect(errors[0]).toBe(UposError.E_NOHARDWARE);
        const offlineAt = statuses.lastIndexOf(StatusUpdate.SUE_POWER_OFF_OFFLINE);
        await twin.actions['replug']!({});
        await until(
          'SUE_POWER_ONLINE after replug',
          () => statuses.indexOf(StatusUpdate.SUE_POWER_ONLINE, offlineAt) > offlineAt,
        );
        scanner.dataEventEnabled = true;
        await target.scan('ean13', '4006381333931');
        await until('DataEvent after replug', () => events.length === 1);
        expect(scanner.scanDataLabel.toString('latin1')).toBe('4006381333931');
      },
    );
  });
}
