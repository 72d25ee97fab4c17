import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('./session.script.ts', import.meta.url));

describe('process lifetime', () => {
  it('a process that ran noble and bleno over the seam ends by itself when its session is over', () => {
    // The kill timeout only stops a hung child so that the failure is reported; it is not a measurement.
    const r = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 25_000 });
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('public\n');
  });
});
