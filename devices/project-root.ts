/**
 * The kit's own folder (where package.json and fixtures/ are), found from a module's location. Modules
 * run both from source and compiled into dist/, so a fixed number of `..` would be wrong in one of them.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

export function projectRoot(): string {
  if (cached) return cached;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (
      existsSync(pkg) &&
      (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'benchtwin'
    ) {
      return (cached = dir);
    }
    const parent = path.dirname(dir);
    if (parent === dir)
      throw new Error('cannot find the benchtwin folder (package.json) above ' + import.meta.url);
    dir = parent;
  }
}
