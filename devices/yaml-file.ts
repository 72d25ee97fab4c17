/**
 * YAML files checked by a zod schema (bench files, card profiles, …). Every mistake is reported the same
 * way: the file, the line, the path inside the document and what was expected there.
 */
import { readFileSync } from 'node:fs';
import { isNode, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';

export class YamlFileError extends Error {
  constructor(
    readonly file: string,
    readonly at: string,
    readonly expected: string,
    readonly line?: number,
  ) {
    super(`${file}${line ? `:${line}` : ''}: ${at || '(top level)'}: expected ${expected}`);
    this.name = 'YamlFileError';
  }
}

type ErrorClass = new (file: string, at: string, expected: string, line?: number) => YamlFileError;

/** What a zod issue expected, in words for a person editing the file. */
export function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type': {
      const what = issue.expected === 'record' || issue.expected === 'object' ? 'a mapping' : issue.expected;
      return `${what}${issue.input === undefined ? ' (missing)' : ''}`;
    }
    case 'unrecognized_keys':
      return `no key ${issue.keys.map((k) => `"${k}"`).join(', ')} here`;
    case 'invalid_value':
      return `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_union':
      return 'one of the allowed forms';
    case 'invalid_key':
      return 'a key in lower case letters, digits and "-"';
    case 'too_small': {
      const unit = issue.origin === 'string' ? ' characters' : '';
      return `${issue.origin === 'array' ? 'at least' : 'a value ≥'} ${String(issue.minimum)}${unit}`;
    }
    case 'too_big': {
      const unit = issue.origin === 'string' ? ' characters' : '';
      return `${issue.origin === 'array' ? 'at most' : 'a value ≤'} ${String(issue.maximum)}${unit}`;
    }
    default:
      return issue.message;
  }
}

export interface ParseYamlOptions {
  /** The error class to throw (a subclass of YamlFileError naming the kind of file). */
  errorClass?: ErrorClass;
  /** Words for issues the generic description gets wrong (return undefined to keep it). */
  describe?: (issue: z.core.$ZodIssue) => string | undefined;
}

/** Parses YAML `text` from `file` and validates it; throws a YamlFileError (or the given class). */
export function parseYamlFile<S extends z.ZodType>(
  text: string,
  file: string,
  schema: S,
  options: ParseYamlOptions = {},
): z.output<S> {
  const Err = options.errorClass ?? YamlFileError;
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const yamlError = doc.errors[0];
  if (yamlError) {
    const pos = yamlError.linePos?.[0] ?? lineCounter.linePos(yamlError.pos[0]);
    throw new Err(
      file,
      '',
      `well-formed YAML (${yamlError.code}: ${yamlError.message.split('\n')[0]})`,
      pos?.line,
    );
  }
  const lineOf = (p: readonly PropertyKey[]): number | undefined => {
    for (let n = p.length; n >= 0; n--) {
      const node = doc.getIn(p.slice(0, n) as unknown[], true);
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
    }
    return undefined;
  };
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new Err(file, '', `well-formed YAML (${(err as Error).message})`);
  }
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  let issue = result.error.issues[0]!;
  // A union failure hides the useful inner issue: show the one of the branch the value's type chose
  // (the string branch for a scalar, the object branch for a mapping).
  if (issue.code === 'invalid_union') {
    const at: unknown = doc.getIn(issue.path as unknown[]);
    const pick = typeof at === 'string' ? 0 : at && typeof at === 'object' ? issue.errors.length - 1 : -1;
    const inner = pick >= 0 ? issue.errors[pick]?.[0] : undefined;
    if (inner) issue = { ...inner, path: [...issue.path, ...inner.path] };
  }
  throw new Err(
    file,
    issue.path.map(String).join('.'),
    options.describe?.(issue) ?? describeIssue(issue),
    lineOf(issue.path),
  );
}

/** Reads and parses a YAML file; an unreadable file is reported by name like any other mistake. */
export function readYamlFile<S extends z.ZodType>(
  file: string,
  schema: S,
  what: string,
  options: ParseYamlOptions = {},
): z.output<S> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const Err = options.errorClass ?? YamlFileError;
    throw new Err(file, '', `a readable ${what} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return parseYamlFile(text, file, schema, options);
}
