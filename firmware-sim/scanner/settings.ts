/**
 * The two menu tables a scanner keeps: the working (volatile, RAM) table and the non-volatile one that
 * survives a power cycle. A volatile change touches only RAM; a non-volatile change touches both and is
 * saved through the injected nvram. Values are strings (Honeywell) or numbers (SSI parameters).
 */

export type SettingValue = string | number;

/** Storage the device shell provides (a file on a bench); load returns undefined when nothing was saved. */
export interface ScannerNvram {
  load(): Record<string, unknown> | undefined;
  save(data: Record<string, unknown>): void;
}

/** An nvram that lives as long as the object: handy for tests and for power cycles within one process. */
export class MemoryNvram implements ScannerNvram {
  data: Record<string, unknown> | undefined;
  saves = 0;
  load(): Record<string, unknown> | undefined {
    return this.data === undefined ? undefined : structuredClone(this.data);
  }
  save(data: Record<string, unknown>): void {
    this.data = structuredClone(data);
    this.saves++;
  }
}

export class SettingsTable {
  private readonly nonVolatile = new Map<string, SettingValue>();
  private readonly ram = new Map<string, SettingValue>();

  constructor(
    private readonly defaults: ReadonlyMap<string, SettingValue>,
    private readonly nvram: ScannerNvram | undefined,
    /** Name stored with the data, so a table of another command set is not misread. */
    private readonly kind: string,
  ) {
    this.loadNvram();
  }

  has(key: string): boolean {
    return this.defaults.has(key);
  }

  keys(): string[] {
    return [...this.defaults.keys()];
  }

  /** The working value. */
  get(key: string): SettingValue | undefined {
    return this.ram.get(key) ?? this.nonVolatile.get(key) ?? this.defaults.get(key);
  }

  /** The value the non-volatile table holds (what a power cycle comes back with). */
  getNonVolatile(key: string): SettingValue | undefined {
    return this.nonVolatile.get(key) ?? this.defaults.get(key);
  }

  getDefault(key: string): SettingValue | undefined {
    return this.defaults.get(key);
  }

  set(key: string, value: SettingValue, permanent: boolean): void {
    this.ram.set(key, value);
    if (permanent) {
      this.nonVolatile.set(key, value);
      this.saveNvram();
    }
  }

  /** Several changes with one nvram write. */
  setMany(entries: Iterable<[string, SettingValue]>, permanent: boolean): void {
    for (const [k, v] of entries) {
      this.ram.set(k, v);
      if (permanent) this.nonVolatile.set(k, v);
    }
    if (permanent) this.saveNvram();
  }

  /** Back to factory defaults: RAM always, the non-volatile table too when permanent. */
  restoreDefaults(permanent: boolean): void {
    this.ram.clear();
    if (permanent) {
      this.nonVolatile.clear();
      this.saveNvram();
    } else {
      // RAM now shows defaults even where the non-volatile table differs.
      for (const [k, v] of this.defaults) if (this.nonVolatile.has(k)) this.ram.set(k, v);
    }
  }

  private loadNvram(): void {
    let data: Record<string, unknown> | undefined;
    try {
      data = this.nvram?.load();
    } catch {
      data = undefined; // unreadable storage acts like an empty one, as a corrupt EEPROM block would
    }
    if (!data || data['kind'] !== this.kind || typeof data['values'] !== 'object' || data['values'] === null)
      return;
    for (const [k, v] of Object.entries(data['values'] as Record<string, unknown>)) {
      const def = this.defaults.get(k);
      if (def !== undefined && typeof v === typeof def) this.nonVolatile.set(k, v as SettingValue);
    }
  }

  private saveNvram(): void {
    this.nvram?.save({ kind: this.kind, values: Object.fromEntries(this.nonVolatile) });
  }
}
