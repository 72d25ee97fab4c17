/**
 * Bench files: YAML mapping each role of a scenario to a transport string, validated with zod.
 * Every mistake is reported with the file, the path inside it (and its line) and what was expected.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument, isNode } from 'yaml';
import { z } from 'zod';
import { parseTransport, TransportError, TRANSPORT_EXAMPLES, type Transport } from './transport.js';

const direction = z
  .object({
    dropRate: z.number().min(0).max(1).optional(),
    corruptRate: z.number().min(0).max(1).optional(),
    delayMs: z.number().min(0).max(60_000).optional(),
    splitWrites: z.boolean().optional(),
  })
  .strict();

export const FaultsSchema = z
  .object({ toHost: direction.optional(), fromHost: direction.optional(), seed: z.number().int().optional() })
  .strict();

const transportString = z.string().superRefine((value, ctx) => {
  try {
    parseTransport(value);
  } catch (err) {
    ctx.addIssue({
      code: 'custom',
      message:
        err instanceof TransportError ? err.expected : `a transport string such as ${TRANSPORT_EXAMPLES}`,
    });
  }
});

const role = z.union([
  transportString,
  z
    .object({
      transport: transportString,
      faults: FaultsSchema.optional(),
      capture: z.boolean().optional(),
    })
    .strict(),
]);

export const BenchFileSchema = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][\w.-]*$/, 'a name of letters, digits, ".", "-" and "_"')
      .optional(),
    description: z.string().optional(),
    clock: z.enum(['wall', 'virtual']).default('wall'),
    control: z
      .object({ port: z.number().int().min(0).max(65535).default(0) })
      .strict()
      .default({ port: 0 }),
    capture: z.string().optional(),
    roles: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/, 'a role name in lower case, e.g. scanner'), role),
  })
  .strict();

export type FaultsConfig = z.infer<typeof FaultsSchema>;

export interface RoleConfig {
  role: string;
  transport: Transport;
  transportText: string;
  faults?: FaultsConfig;
  capture: boolean;
}

export interface BenchConfig {
  name: string;
  description?: string;
  clock: 'wall' | 'virtual';
  controlPort: number;
  /** Folder for pcapng captures, absolute; undefined = no captures. */
  captureDir?: string;
  roles: RoleConfig[];
  /** The file it came from, when it came from one. */
  file?: string;
}

export class BenchFileError extends Error {
  constructor(
    readonly file: string,
    readonly at: string,
    readonly expected: string,
    readonly line?: number,
  ) {
    super(`${file}${line ? `:${line}` : ''}: ${at || '(top level)'}: expected ${expected}`);
    this.name = 'BenchFileError';
  }
}

function describeIssue(issue: z.core.$ZodIssue): string {
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
      return 'a transport string, or an object with "transport" (and optional "faults", "capture")';
    case 'too_small':
      return `a value ≥ ${String(issue.minimum)}`;
    case 'invalid_key':
      return 'a role name in lower case letters, digits and "-", e.g. scanner';
    case 'too_big':
      return `a value ≤ ${String(issue.maximum)}`;
    default:
      return issue.message;
  }
}

/** Parses bench YAML text; `file` names it in errors. */
export function parseBenchFile(text: string, file: string): BenchConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const yamlError = doc.errors[0];
  if (yamlError) {
    const pos = yamlError.linePos?.[0] ?? lineCounter.linePos(yamlError.pos[0]);
    throw new BenchFileError(
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
    throw new BenchFileError(file, '', `well-formed YAML (${(err as Error).message})`);
  }
  const result = BenchFileSchema.safeParse(value);
  if (!result.success) {
    let issue = result.error.issues[0]!;
    // A union failure hides the useful inner issue: show the one of the branch the value's type chose.
    if (issue.code === 'invalid_union') {
      const value: unknown = doc.getIn(issue.path as unknown[]);
      const branch =
        typeof value === 'string'
          ? issue.errors[0]
          : value && typeof value === 'object'
            ? issue.errors[1]
            : undefined;
      const inner = branch?.[0];
      if (inner) issue = { ...inner, path: [...issue.path, ...inner.path] };
    }
    const at = issue.path.map(String).join('.');
    throw new BenchFileError(file, at, describeIssue(issue), lineOf(issue.path));
  }
  const data = result.data;
  const base = path.dirname(path.resolve(file));
  const roles: RoleConfig[] = Object.entries(data.roles).map(([name, r]) => {
    const text = typeof r === 'string' ? r : r.transport;
    const cfg: RoleConfig = {
      role: name,
      transport: parseTransport(text),
      transportText: text,
      capture: typeof r === 'string' ? true : (r.capture ?? true),
    };
    if (typeof r !== 'string' && r.faults) cfg.faults = r.faults;
    return cfg;
  });
  if (roles.length === 0) throw new BenchFileError(file, 'roles', 'at least one role', lineOf(['roles']));
  const config: BenchConfig = {
    name: data.name ?? path.basename(file).replace(/\.ya?ml$/i, ''),
    clock: data.clock,
    controlPort: data.control.port,
    roles,
    file,
  };
  if (data.description !== undefined) config.description = data.description;
  if (data.capture !== undefined) config.captureDir = path.resolve(base, data.capture);
  return config;
}

export function loadBenchFile(file: string): BenchConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new BenchFileError(
      file,
      '',
      `a readable bench file (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
    );
  }
  return parseBenchFile(text, file);
}
