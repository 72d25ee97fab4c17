#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm ci` (the prepare script).
import { main } from '../dist/host/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => process.exit(code ?? 0),
  (err) => {
    console.error(`benchtwin: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
