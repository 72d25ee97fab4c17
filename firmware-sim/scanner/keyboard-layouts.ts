/**
 * Keyboard layouts for the keyboard wedge: which character each key *position* (HID Keyboard/Keypad usage,
 * page 0x07) types on a host set to a given layout, at each level (plain, Shift, AltGr, Shift+AltGr).
 *
 * A wedge scanner is configured with a "keyboard country" and sends the key positions that type each
 * character on that layout; the host turns positions back into characters with *its own* layout. Both
 * directions read these tables, so a US scanner read by a DE host turns `y` into `z`, as on a real bench.
 *
 * The tables follow the Windows layouts (kbdus, kbduk, kbdgr, kbdfr, kbd106) for the printable ASCII range
 * and the common Latin-1 extras. Decisions:
 * - Dead keys (DE ´ ` ^, FR ^ ¨ and AltGr ~ `) type nothing by themselves: those characters are untypeable
 *   on that layout (the scanner skips them; a host reading such a key produces nothing).
 * - Caps Lock inverts Shift only on keys whose Shift character is the upper case of the plain one (letters,
 *   and ä ö ü on DE). The French Windows layout's digit row ignores Caps Lock here (on Windows it acts as
 *   Shift Lock for those keys; we keep the simpler rule and say so).
 * - Control characters (see `controlKeys`): CR → Enter (0x28), HT → Tab (0x2B), BS → Backspace (0x2A),
 *   ESC → Escape (0x29); 0x01–0x1A → Ctrl + the key that types that letter on the layout (Ctrl+J for LF);
 *   GS (0x1D, GS1's FNC1 separator) → Ctrl + the key at the US `]` position (0x30), which is what Windows
 *   layouts map to 0x1D (Ctrl+] on US/UK, Ctrl+`+` on DE, Ctrl+`$` on FR); on JIS the `]` key is at 0x32.
 *   FS (0x1C) → Ctrl+\ on US/UK/JP only; other control characters are untypeable.
 * - JIS: both the Ro key (0x87) and the Yen key (0x89) type `\` (as Windows and X11 do with the Japanese
 *   layout); the scanner uses Ro (0x87). Kana input modes are out of scope.
 */

export type KeyboardLayoutId = 'us' | 'uk' | 'de' | 'fr' | 'jp';
export const KEYBOARD_LAYOUTS: readonly KeyboardLayoutId[] = ['us', 'uk', 'de', 'fr', 'jp'];

/** Modifier bits of the boot keyboard report's first byte. */
export const Modifier = {
  LEFT_CTRL: 0x01,
  LEFT_SHIFT: 0x02,
  LEFT_ALT: 0x04,
  LEFT_GUI: 0x08,
  RIGHT_CTRL: 0x10,
  RIGHT_SHIFT: 0x20,
  /** AltGr on the European layouts. */
  RIGHT_ALT: 0x40,
  RIGHT_GUI: 0x80,
} as const;

/** Key usages (Keyboard/Keypad page) the wedge names. */
export const Key = {
  A: 0x04,
  ENTER: 0x28,
  ESCAPE: 0x29,
  BACKSPACE: 0x2a,
  TAB: 0x2b,
  SPACE: 0x2c,
  /** US `]`: the key Windows layouts map Ctrl+key to GS. */
  RIGHT_BRACKET: 0x30,
  BACKSLASH: 0x31,
  NON_US_HASH: 0x32,
  NON_US_BACKSLASH: 0x64,
  /** JIS Ro key (`\ _`). */
  INTERNATIONAL1: 0x87,
  /** JIS Yen key. */
  INTERNATIONAL3: 0x89,
} as const;

/** One key press: a key position and the modifiers held. */
export interface KeyStroke {
  usage: number;
  modifiers: number;
}

/** Characters of one key: plain, Shift, AltGr, Shift+AltGr ('' = nothing). */
type KeyLevels = readonly [string, string, string?, string?];

export interface KeyboardLayout {
  readonly id: KeyboardLayoutId;
  readonly name: string;
  /** usage → levels. */
  readonly keys: ReadonlyMap<number, KeyLevels>;
  /** Control characters typed by key combinations other than Ctrl+letter (code → stroke). */
  readonly controlKeys: ReadonlyMap<number, KeyStroke>;
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

function letterKeys(order: string): [number, KeyLevels][] {
  return [...order].map((c, i) => [Key.A + i, [c, c.toUpperCase()]]);
}

function digitRow(
  plain: string,
  shifted: readonly string[],
  altGr: readonly string[] = [],
): [number, KeyLevels][] {
  return [...plain].map((c, i) => [0x1e + i, [c, shifted[i] ?? '', altGr[i] ?? '']]);
}

const COMMON: [number, KeyLevels][] = [[Key.SPACE, [' ', ' ']]];

const chars = (s: string): string[] => [...s];

function layout(
  id: KeyboardLayoutId,
  name: string,
  rows: [number, KeyLevels][],
  controlKeys: [number, KeyStroke][],
): KeyboardLayout {
  return { id, name, keys: new Map([...COMMON, ...rows]), controlKeys: new Map(controlKeys) };
}

const ctrl = (usage: number): KeyStroke => ({ usage, modifiers: Modifier.LEFT_CTRL });
const GS = 0x1d;
const FS = 0x1c;

const US = layout(
  'us',
  'United States (QWERTY)',
  [
    ...letterKeys(LETTERS),
    ...digitRow('1234567890', chars('!@#$%^&*()')),
    [0x2d, ['-', '_']],
    [0x2e, ['=', '+']],
    [0x2f, ['[', '{']],
    [0x30, [']', '}']],
    [0x31, ['\\', '|']],
    [0x32, ['\\', '|']],
    [0x33, [';', ':']],
    [0x34, ["'", '"']],
    [0x35, ['`', '~']],
    [0x36, [',', '<']],
    [0x37, ['.', '>']],
    [0x38, ['/', '?']],
    [0x64, ['\\', '|']],
  ],
  [
    [GS, ctrl(Key.RIGHT_BRACKET)],
    [FS, ctrl(Key.BACKSLASH)],
  ],
);

const UK = layout(
  'uk',
  'United Kingdom (QWERTY)',
  [
    ...letterKeys(LETTERS),
    ...digitRow('1234567890', chars('!"£$%^&*()'), ['', '', '', '€']),
    [0x2d, ['-', '_']],
    [0x2e, ['=', '+']],
    [0x2f, ['[', '{']],
    [0x30, [']', '}']],
    [0x32, ['#', '~']],
    [0x33, [';', ':']],
    [0x34, ["'", '@']],
    [0x35, ['`', '¬', '¦']],
    [0x36, [',', '<']],
    [0x37, ['.', '>']],
    [0x38, ['/', '?']],
    [0x64, ['\\', '|']],
  ],
  [
    [GS, ctrl(Key.RIGHT_BRACKET)],
    [FS, ctrl(Key.NON_US_BACKSLASH)],
  ],
);

const DE = layout(
  'de',
  'German (QWERTZ)',
  [
    ...letterKeys('abcdefghijklmnopqrstuvwxzy'),
    ...digitRow('1234567890', chars('!"§$%&/()='), ['', '²', '³', '', '', '', '{', '[', ']', '}']),
    [0x14, ['q', 'Q', '@']],
    [0x08, ['e', 'E', '€']],
    [0x10, ['m', 'M', 'µ']],
    [0x2d, ['ß', '?', '\\']],
    // 0x2E: ´ ` dead keys
    [0x2f, ['ü', 'Ü']],
    [0x30, ['+', '*', '~']],
    [0x32, ['#', "'"]],
    [0x33, ['ö', 'Ö']],
    [0x34, ['ä', 'Ä']],
    [0x35, ['', '°']], // ^ is a dead key
    [0x36, [',', ';']],
    [0x37, ['.', ':']],
    [0x38, ['-', '_']],
    [0x64, ['<', '>', '|']],
  ],
  [[GS, ctrl(Key.RIGHT_BRACKET)]],
);

const FR = layout(
  'fr',
  'French (AZERTY)',
  [
    ...letterKeys('qbcdefghijkl,nopars' + 'tuvzxyw'),
    [0x10, [',', '?']],
    [0x33, ['m', 'M']],
    ...digitRow('&é"\'(-è_çà', chars('1234567890'), ['', '', '#', '{', '[', '|', '', '\\', '^', '@']),
    [0x08, ['e', 'E', '€']],
    [0x2d, [')', '°', ']']],
    [0x2e, ['=', '+', '}']],
    // 0x2F: ^ ¨ dead keys
    [0x30, ['$', '£', '¤']],
    [0x31, ['*', 'µ']],
    [0x32, ['*', 'µ']],
    [0x34, ['ù', '%']],
    [0x35, ['²', '']],
    [0x36, [';', '.']],
    [0x37, [':', '/']],
    [0x38, ['!', '§']],
    [0x64, ['<', '>']],
  ],
  [[GS, ctrl(Key.RIGHT_BRACKET)]],
);

const JP = layout(
  'jp',
  'Japanese (JIS 106/109)',
  [
    ...letterKeys(LETTERS),
    ...digitRow('1234567890', [...chars('!"#$%&\'()'), '']),
    [0x2d, ['-', '=']],
    [0x2e, ['^', '~']],
    [0x2f, ['@', '`']],
    [0x30, ['[', '{']],
    [0x32, [']', '}']],
    [0x33, [';', '+']],
    [0x34, [':', '*']],
    [0x36, [',', '<']],
    [0x37, ['.', '>']],
    [0x38, ['/', '?']],
    [Key.INTERNATIONAL1, ['\\', '_']],
    [Key.INTERNATIONAL3, ['\\', '|']],
  ],
  [
    [GS, ctrl(Key.NON_US_HASH)],
    [FS, ctrl(Key.INTERNATIONAL1)],
  ],
);

const LAYOUTS: Readonly<Record<KeyboardLayoutId, KeyboardLayout>> = {
  us: US,
  uk: UK,
  de: DE,
  fr: FR,
  jp: JP,
};

export function keyboardLayout(id: KeyboardLayoutId): KeyboardLayout {
  return LAYOUTS[id];
}

export function isKeyboardLayoutId(value: string): value is KeyboardLayoutId {
  return Object.hasOwn(LAYOUTS, value);
}

/** Keys whose Shift character is the upper case of the plain one: Caps Lock inverts Shift on them. */
export function capsLockApplies(levels: KeyLevels): boolean {
  const [plain, shifted] = levels;
  return plain !== '' && plain !== shifted && plain.toUpperCase() === shifted;
}

const LEVEL_MODIFIERS = [
  0,
  Modifier.LEFT_SHIFT,
  Modifier.RIGHT_ALT,
  Modifier.LEFT_SHIFT | Modifier.RIGHT_ALT,
];

const strokeCache = new Map<KeyboardLayoutId, Map<string, KeyStroke>>();

/**
 * Character → key stroke on a layout, with Caps Lock off. The first key (lowest usage) and the lowest
 * level win when several type the same character. Control characters included (see the module comment).
 */
export function strokeTable(layoutId: KeyboardLayoutId): ReadonlyMap<string, KeyStroke> {
  const cached = strokeCache.get(layoutId);
  if (cached) return cached;
  const l = LAYOUTS[layoutId];
  const table = new Map<string, KeyStroke>();
  table.set('\r', { usage: Key.ENTER, modifiers: 0 });
  table.set('\t', { usage: Key.TAB, modifiers: 0 });
  table.set('\b', { usage: Key.BACKSPACE, modifiers: 0 });
  table.set('\u001b', { usage: Key.ESCAPE, modifiers: 0 });
  for (const [code, stroke] of l.controlKeys) table.set(String.fromCharCode(code), stroke);
  const usages = [...l.keys.keys()].sort((a, b) => a - b);
  for (let level = 0; level < 4; level++) {
    for (const usage of usages) {
      const c = l.keys.get(usage)?.[level];
      if (c && !table.has(c)) table.set(c, { usage, modifiers: LEVEL_MODIFIERS[level] as number });
    }
  }
  for (let i = 0; i < 26; i++) {
    const ch = String.fromCharCode(1 + i);
    const letter = table.get(LETTERS[i] as string);
    if (!table.has(ch) && letter) table.set(ch, { usage: letter.usage, modifiers: Modifier.LEFT_CTRL });
  }
  strokeCache.set(layoutId, table);
  return table;
}

/** Every character a layout can type (printable and control). */
export function typeableCharacters(layoutId: KeyboardLayoutId): string[] {
  return [...strokeTable(layoutId).keys()];
}
