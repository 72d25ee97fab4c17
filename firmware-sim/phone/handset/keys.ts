/**
 * The keys of a feature phone and the letters printed on them. Letter groups follow ITU-T E.161 §2
 * (2 ABC, 3 DEF, 4 GHI, 5 JKL, 6 MNO, 7 PQRS, 8 TUV, 9 WXYZ); what 1, 0, * and # type in text mode is the
 * phone maker's choice, so the sets below are this handset's own.
 */

export const DIGIT_KEYS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] as const;

export const KEYS = [
  ...DIGIT_KEYS,
  '*',
  '#',
  'up',
  'down',
  'left',
  'right',
  'ok',
  'soft-left',
  'soft-right',
  'back',
  'call',
  'end',
] as const;

export type Key = (typeof KEYS)[number];
export type DigitKey = (typeof DIGIT_KEYS)[number];

const KEY_SET: ReadonlySet<string> = new Set(KEYS);

/** Names the control API also accepts for a key (`select` for OK, `clear` for back, `power` for end). */
const ALIASES: Readonly<Record<string, Key>> = {
  select: 'ok',
  enter: 'ok',
  clear: 'back',
  power: 'end',
  hangup: 'end',
  send: 'call',
  star: '*',
  hash: '#',
  softleft: 'soft-left',
  softright: 'soft-right',
  lsk: 'soft-left',
  rsk: 'soft-right',
};

export function isKey(value: string): value is Key {
  return KEY_SET.has(value);
}

/** A key from its name or an alias (case-insensitive); undefined when the phone has no such key. */
export function parseKey(name: string): Key | undefined {
  const n = name.trim().toLowerCase();
  if (isKey(n)) return n;
  return ALIASES[n] ?? ALIASES[n.replace(/[-_ ]/g, '')];
}

export const isDigitKey = (key: Key): key is DigitKey => key.length === 1 && key >= '0' && key <= '9';

/** E.161 letters of each digit key, upper case. */
export const E161_LETTERS: Readonly<Record<DigitKey, string>> = {
  '0': '',
  '1': '',
  '2': 'ABC',
  '3': 'DEF',
  '4': 'GHI',
  '5': 'JKL',
  '6': 'MNO',
  '7': 'PQRS',
  '8': 'TUV',
  '9': 'WXYZ',
};

/** Letter case of multi-tap entry, cycled by '#'. */
export type TextCase = 'lower' | 'upper';

/**
 * The characters a key cycles through in text mode: its letters, then its digit. Key 1 carries
 * punctuation, key 0 the space.
 */
export function multiTapCycle(key: DigitKey, textCase: TextCase): string {
  if (key === '1') return ".,?!'-@:/1";
  if (key === '0') return ' 0';
  const letters = E161_LETTERS[key];
  return (textCase === 'lower' ? letters.toLowerCase() : letters) + key;
}

/** The digit key (and number of presses) that types `ch` in text mode, if any. */
export function keyForChar(ch: string, textCase: TextCase): { key: DigitKey; presses: number } | undefined {
  for (const key of DIGIT_KEYS) {
    const i = multiTapCycle(key, textCase).indexOf(ch);
    if (i >= 0) return { key, presses: i + 1 };
  }
  return undefined;
}
