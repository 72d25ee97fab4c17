/**
 * The Honeywell (Xenon 1900-style) serial command set: trigger/untrigger, menu commands with the volatile
 * and non-volatile tables, queries, and the `[prefix][data][suffix]` output where the AIM or Code ID enters
 * through prefix editing (PREBK2 … 5C81 / 5C80).
 */
import type { CommandSet, FirmwareServices, TriggerMode } from './command-set.js';
import {
  HONEYWELL_ALL_SYMBOLOGIES,
  HoneywellCommandParser,
  asciiUpper,
  encodeMenuReply,
  isHoneywellQuery,
  type HoneywellMenuCommand,
  type HoneywellMenuRequest,
  type HoneywellReplyEntry,
  type HoneywellStatus,
} from './honeywell.js';
import { SettingsTable, type SettingValue } from './settings.js';
import { SYMBOLOGY_TABLE, type Symbology } from './symbology.js';
import type { DecodedSymbol } from './types.js';

interface ValueSetting {
  kind: 'value';
  /** Range as the `*` query reports it. */
  range: string;
  valid: (data: string) => boolean;
  default: string;
}

interface ActionSetting {
  kind: 'action';
  run: (
    self: HoneywellCommandSet,
    data: string,
    permanent: boolean,
  ) => HoneywellStatus | { status: HoneywellStatus; value: string };
}

type MenuSetting = ValueSetting | ActionSetting;

const intRange = (min: number, max: number, def: number): ValueSetting => ({
  kind: 'value',
  range: `${min}-${max}`,
  valid: (d) => /^[0-9]{1,7}$/.test(d) && Number(d) >= min && Number(d) <= max,
  default: String(def),
});

const oneOf = (values: readonly number[], def: number): ValueSetting => ({
  kind: 'value',
  range: values.join('|'),
  valid: (d) => values.some((v) => String(v) === d),
  default: String(def),
});

const onOff = (def: 0 | 1): ValueSetting => intRange(0, 1, def);

/** Menu symbology enables, by our symbology name (Honeywell tags for the 1900 family). */
export const HONEYWELL_SYMBOLOGY_TAGS: Readonly<Record<Symbology, string>> = {
  ean13: 'E13ENA',
  ean8: 'EA8ENA',
  upca: 'UPAENA',
  upce: 'UPEEN0',
  code128: '128ENA',
  'gs1-128': 'GS1ENA',
  code39: 'C39ENA',
  code93: 'C93ENA',
  codabar: 'CBRENA',
  itf: 'I25ENA',
  databar: 'RSSENA',
  'databar-expanded': 'RSEENA',
  qr: 'QRCENA',
  'gs1-qr': 'QRCENA',
  datamatrix: 'IDMENA',
  'gs1-datamatrix': 'IDMENA',
  pdf417: 'PDFENA',
  aztec: 'AZTENA',
};

const HEX_PAIRS = /^(?:[0-9A-Fa-f]{2})+$/;

function affixAdd(key: 'PRE' | 'SUF'): ActionSetting {
  return {
    kind: 'action',
    run: (self, data, permanent) => {
      if (data.length < 4 || !HEX_PAIRS.test(data)) return 'nak';
      const sym = data.slice(0, 2).toUpperCase();
      const entries = self.affixEntries(key);
      // BK2 adds to what the symbology already has, as scanning several Add Prefix codes does.
      const existing = entries.get(sym) ?? '';
      entries.set(sym, existing + data.slice(2).toUpperCase());
      self.setAffixEntries(key, entries, permanent);
      return 'ack';
    },
  };
}

function affixClearOne(key: 'PRE' | 'SUF'): ActionSetting {
  return {
    kind: 'action',
    run: (self, data, permanent) => {
      if (!/^[0-9A-Fa-f]{2}$/.test(data)) return 'nak';
      const entries = self.affixEntries(key);
      entries.delete(data.toUpperCase());
      self.setAffixEntries(key, entries, permanent);
      return 'ack';
    },
  };
}

function affixClearAll(key: 'PRE' | 'SUF'): ActionSetting {
  return {
    kind: 'action',
    run: (self, data, permanent) => {
      if (data !== '') return 'nak';
      self.setAffixEntries(key, new Map(), permanent);
      return 'ack';
    },
  };
}

/** The built-in table (defaults as the 1900 ships; a profile overrides them). */
function builtInTable(): Map<string, MenuSetting> {
  const t = new Map<string, MenuSetting>([
    // Trigger mode: 0 manual, 3 presentation, 4 scan stand, 8 manual enhanced, 9 streaming presentation.
    ['TRGMOD', oneOf([0, 3, 4, 8, 9], 0)],
    ['TRGSTO', intRange(0, 300000, 30000)],
    ['BEPLVL', intRange(0, 3, 3)],
    ['BEPBEP', onOff(1)],
    ['BEPERR', onOff(1)],
    ['232BAD', intRange(0, 9, 5)],
    ['PREENA', onOff(1)],
    ['SUFENA', onOff(1)],
    ['PREBK2', affixAdd('PRE')],
    ['PRECL2', affixClearOne('PRE')],
    ['PRECA2', affixClearAll('PRE')],
    ['SUFBK2', affixAdd('SUF')],
    ['SUFCL2', affixClearOne('SUF')],
    ['SUFCA2', affixClearAll('SUF')],
    [
      'DEFALT',
      {
        kind: 'action',
        run: (self, data, permanent) => {
          if (data !== '') return 'nak';
          self.settings.restoreDefaults(permanent);
          return 'ack';
        },
      },
    ],
    [
      'REVINF',
      {
        kind: 'action',
        run: (self, data) => (data !== '' ? 'nak' : { status: 'ack', value: self.revisionInfo() }),
      },
    ],
  ]);
  for (const tag of new Set(Object.values(HONEYWELL_SYMBOLOGY_TAGS))) t.set(tag, onOff(1));
  return t;
}

/** Internal setting keys for the prefix/suffix tables (not menu commands themselves). */
const AFFIX_KEYS = { PRE: '__PRE', SUF: '__SUF' } as const;

const BAUD_RATES = [300, 600, 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200] as const;

export class HoneywellCommandSet implements CommandSet {
  readonly settings: SettingsTable;
  private readonly table: Map<string, MenuSetting>;
  private readonly parser = new HoneywellCommandParser();

  constructor(private readonly fw: FirmwareServices) {
    this.table = builtInTable();
    const profile = fw.profile;
    const overrides = profile.honeywell?.defaults ?? {};
    const defaults = new Map<string, SettingValue>();
    for (const [key, s] of this.table) if (s.kind === 'value') defaults.set(key, overrides[key] ?? s.default);
    for (const [sym, tag] of Object.entries(HONEYWELL_SYMBOLOGY_TAGS)) {
      if (overrides[tag] === undefined)
        defaults.set(tag, profile.symbologies.includes(sym as Symbology) ? '1' : '0');
    }
    // A symbology sharing a tag with an enabled one (QR / GS1 QR) is enabled with it.
    for (const sym of profile.symbologies)
      defaults.set(HONEYWELL_SYMBOLOGY_TAGS[sym], overrides[HONEYWELL_SYMBOLOGY_TAGS[sym]] ?? '1');
    defaults.set(AFFIX_KEYS.PRE, overrides['PREBK2'] ?? '');
    defaults.set(AFFIX_KEYS.SUF, overrides['SUFBK2'] ?? '');
    this.settings = new SettingsTable(defaults, fw.nvram, 'honeywell');
  }

  // --- CommandSet -------------------------------------------------------------------------------------

  receive(bytes: Uint8Array): void {
    for (const msg of this.parser.push(bytes)) {
      if (msg.kind === 'trigger') this.fw.hostTrigger(this.num('TRGSTO'));
      else if (msg.kind === 'untrigger') this.fw.hostUntrigger();
      else
        this.fw.send(encodeMenuReply({ entries: this.execute(msg.request), storage: msg.request.storage }));
    }
  }

  deliver(symbol: DecodedSymbol): Uint8Array {
    const out = Buffer.concat([
      this.affix('PRE', symbol),
      Buffer.from(symbol.data),
      this.affix('SUF', symbol),
    ]);
    this.fw.send(out);
    return out;
  }

  symbologyEnabled(symbology: Symbology): boolean {
    return this.settings.get(HONEYWELL_SYMBOLOGY_TAGS[symbology]) === '1';
  }

  triggerMode(): TriggerMode {
    const m = this.num('TRGMOD');
    return m === 3 || m === 4 || m === 9 ? 'presentation' : 'manual';
  }

  readTimeoutMs(): number {
    return this.num('TRGSTO');
  }

  beeperVolume(): number {
    return this.num('BEPLVL');
  }

  goodReadBeep(): boolean {
    return this.num('BEPBEP') === 1;
  }

  dispose(): void {
    this.parser.reset();
  }

  /** Baud rate the 232BAD setting selects (the device shell may re-open its port). */
  baudRate(): number {
    return BAUD_RATES[this.num('232BAD')] ?? 9600;
  }

  // --- menu execution -----------------------------------------------------------------------------------

  execute(request: HoneywellMenuRequest): HoneywellReplyEntry[] {
    const permanent = request.storage === '.';
    const out: HoneywellReplyEntry[] = [];
    for (const cmd of request.commands) {
      const entries = this.executeOne(cmd, permanent);
      // The echo keeps the host's separator before each command; a listing continues with ','.
      if (entries[0]) entries[0].continued = cmd.continued === true;
      out.push(...entries);
    }
    return out;
  }

  private executeOne(cmd: HoneywellMenuCommand, permanent: boolean): HoneywellReplyEntry[] {
    const tag = asciiUpper(cmd.tag);
    const subtag = asciiUpper(cmd.subtag);
    if (isHoneywellQuery(tag)) return this.queryMany(() => true, tag, permanent);
    if (isHoneywellQuery(subtag)) {
      const entries = this.queryMany((key) => key.startsWith(tag), subtag, permanent);
      return entries.length > 0 ? entries : [{ tag, subtag, value: '', status: 'enq' }];
    }
    const key = tag + subtag;
    const setting = this.table.get(key);
    const entry = (value: string, status: HoneywellStatus): HoneywellReplyEntry[] => [
      { tag, subtag, value, status },
    ];
    if (!setting || key.length !== 6) return entry(cmd.data, 'enq');
    if (isHoneywellQuery(cmd.data)) {
      const value = this.queryValue(key, setting, cmd.data, permanent);
      return value === undefined ? entry(cmd.data, 'nak') : entry(value, 'ack');
    }
    if (setting.kind === 'action') {
      const r = setting.run(this, cmd.data, permanent);
      return typeof r === 'string' ? entry(cmd.data, r) : entry(r.value, r.status);
    }
    if (!setting.valid(cmd.data)) return entry(cmd.data, 'nak');
    // Leading zeros are accepted and stored as the number they name.
    this.settings.set(key, /^[0-9]+$/.test(cmd.data) ? String(Number(cmd.data)) : cmd.data, permanent);
    return entry(cmd.data, 'ack');
  }

  private queryValue(key: string, setting: MenuSetting, q: string, permanent: boolean): string | undefined {
    const affix = key === 'PREBK2' ? AFFIX_KEYS.PRE : key === 'SUFBK2' ? AFFIX_KEYS.SUF : undefined;
    if (setting.kind === 'action' && affix === undefined) return undefined;
    const k = affix ?? key;
    if (q === '*') return setting.kind === 'value' ? setting.range : '';
    const v =
      q === '^'
        ? this.settings.getDefault(k)
        : permanent
          ? this.settings.getNonVolatile(k)
          : this.settings.get(k);
    return v === undefined ? undefined : String(v);
  }

  private queryMany(match: (key: string) => boolean, q: string, permanent: boolean): HoneywellReplyEntry[] {
    const out: HoneywellReplyEntry[] = [];
    for (const [key, setting] of this.table) {
      if (!match(key)) continue;
      const value = this.queryValue(key, setting, q, permanent);
      if (value !== undefined) out.push({ tag: key.slice(0, 3), subtag: key.slice(3), value, status: 'ack' });
    }
    return out;
  }

  // --- prefix / suffix ---------------------------------------------------------------------------------

  affixEntries(which: 'PRE' | 'SUF'): Map<string, string> {
    const raw = String(this.settings.get(AFFIX_KEYS[which]) ?? '');
    const map = new Map<string, string>();
    for (const e of raw.split(' ')) if (e.length >= 2) map.set(e.slice(0, 2), e.slice(2));
    return map;
  }

  setAffixEntries(which: 'PRE' | 'SUF', entries: Map<string, string>, permanent: boolean): void {
    const raw = [...entries].map(([sym, hex]) => sym + hex).join(' ');
    this.settings.set(AFFIX_KEYS[which], raw, permanent);
  }

  /** Bytes of the prefix or suffix for one read: the symbology's own entry overrides the 99 entry. */
  private affix(which: 'PRE' | 'SUF', symbol: DecodedSymbol): Buffer {
    if (this.num(which === 'PRE' ? 'PREENA' : 'SUFENA') !== 1) return Buffer.alloc(0);
    const codeId = SYMBOLOGY_TABLE[symbol.symbology].honeywellCodeId;
    const entries = this.affixEntries(which);
    const symHex = Buffer.from(codeId, 'latin1').toString('hex').toUpperCase();
    const hex = entries.get(symHex) ?? entries.get(HONEYWELL_ALL_SYMBOLOGIES) ?? '';
    const out: Buffer[] = [];
    for (let i = 0; i + 2 <= hex.length;) {
      const pair = hex.slice(i, i + 2);
      const next = hex.slice(i + 2, i + 4);
      if (pair === '5C' && (next === '80' || next === '81' || next === '5C')) {
        out.push(Buffer.from(next === '80' ? codeId : next === '81' ? symbol.aim : '\\', 'latin1'));
        i += 4;
        continue;
      }
      out.push(Buffer.from([parseInt(pair, 16)]));
      i += 2;
    }
    return Buffer.concat(out);
  }

  revisionInfo(): string {
    const p = this.fw.profile;
    const lines = p.honeywell?.revisionInfo ?? [
      `Product Name: ${p.identity.model}`,
      `Software Revision: ${p.identity.firmwareRevision}`,
      `Serial Number: ${p.identity.serialNumber}`,
    ];
    return lines.join('\r\n');
  }

  private num(key: string): number {
    return Number(this.settings.get(key) ?? 0);
  }
}
