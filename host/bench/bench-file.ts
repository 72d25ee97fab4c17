/**
 * Bench files: YAML mapping each role of a scenario to a transport string, validated with zod.
 * Every mistake is reported with the file, the path inside it (and its line) and what was expected.
 */
import path from 'node:path';
import { z } from 'zod';
import { parseYamlFile, readYamlFile, YamlFileError } from '../../devices/yaml-file.js';
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

export class BenchFileError extends YamlFileError {
  override name = 'BenchFileError';
}

const BENCH_WORDS = {
  errorClass: BenchFileError,
  describe: (issue: z.core.$ZodIssue): string | undefined =>
    issue.code === 'invalid_union'
      ? 'a transport string, or an object with "transport" (and optional "faults", "capture")'
      : issue.code === 'invalid_key'
        ? 'a role name in lower case letters, digits and "-", e.g. scanner'
        : undefined,
};

/** A validated bench (a bench file's, or one written inline in a scenario) → the config startBench takes. */
export function benchConfigFrom(data: z.output<typeof BenchFileSchema>, file: string): BenchConfig {
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
  if (roles.length === 0) throw new BenchFileError(file, 'roles', 'at least one role');
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

/** Parses bench YAML text; `file` names it in errors. */
export function parseBenchFile(text: string, file: string): BenchConfig {
  return benchConfigFrom(parseYamlFile(text, file, BenchFileSchema, BENCH_WORDS), file);
}

export function loadBenchFile(file: string): BenchConfig {
  return benchConfigFrom(readYamlFile(file, BenchFileSchema, 'bench file', BENCH_WORDS), file);
}
