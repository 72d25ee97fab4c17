import fc from 'fast-check';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BenchFileError, loadBenchFile, parseBenchFile } from '../../../host/bench/bench-file.js';

const error = (text: string): BenchFileError => {
  try {
    parseBenchFile(text, 'lane.yaml');
  } catch (err) {
    if (err instanceof BenchFileError) return err;
    throw err;
  }
  throw new Error('no error');
};

describe('bench files', () => {
  it('loads the fixtures', () => {
    const c = loadBenchFile(path.join('fixtures', 'benches', 'lane-mixed.yaml'));
    expect(c.name).toBe('lane-mixed');
    expect(c.clock).toBe('wall');
    expect(c.roles.map((r) => [r.role, r.transport.scheme])).toEqual([
      ['scanner', 'serial'],
      ['scanner-ssi', 'emu'],
    ]);
    expect(c.roles[1]!.faults).toEqual({ toHost: { splitWrites: true } });
    expect(loadBenchFile('fixtures/benches/lane-emulated.yaml').roles[0]!.transportText).toBe(
      'emu:scanner/honeywell-1900?mode=serial',
    );
  });

  it('names the file, the path inside it, its line and what was expected', () => {
    const e = error('name: x\nroles:\n  scanner: tty:/dev/x\n');
    expect(e.file).toBe('lane.yaml');
    expect(e.at).toBe('roles.scanner');
    expect(e.line).toBe(3);
    expect(e.message).toMatch(/^lane\.yaml:3: roles\.scanner: expected one of serial:/);
    expect(error('clock: fast\nroles:\n  s: emu:scanner/a\n').message).toBe(
      'lane.yaml:1: clock: expected one of "wall", "virtual"',
    );
    expect(
      error('roles:\n  s:\n    transport: serial:/dev/x\n    faults:\n      toHost: { dropRate: 2 }\n')
        .message,
    ).toBe('lane.yaml:5: roles.s.faults.toHost.dropRate: expected a value ≤ 1');
    expect(error('roles:\n  s:\n    transport: serial:/dev/x\n    colour: red\n').message).toMatch(
      /roles\.s: expected no key "colour" here/,
    );
    expect(error('roles:\n  Scanner: serial:/dev/x\n').message).toMatch(
      /roles\.Scanner: expected a role name/,
    );
    expect(error('roles: {}\n').message).toMatch(/roles: expected at least one role/);
    expect(error('bench: 1\n').message).toBe('lane.yaml:1: roles: expected a mapping (missing)');
    expect(error('roles:\n  s: *nothing\n').message).toMatch(/expected well-formed YAML/);
    expect(error('roles: [\n').message).toMatch(/expected well-formed YAML/);
  });

  it('reports an unreadable file by name', () => {
    expect(() => loadBenchFile('/no/such/bench.yaml')).toThrow(
      /\/no\/such\/bench\.yaml: \(top level\): expected a readable bench file \(ENOENT\)/,
    );
  });

  it('answers arbitrary text with a BenchFileError, never another exception', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        try {
          parseBenchFile(text, 'f.yaml');
        } catch (err) {
          expect(err).toBeInstanceOf(BenchFileError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
