/**
 * Independent peers the tests check our bytes against (Debian packages installed by
 * scripts/install-oracles.sh). A test that needs a missing one is skipped with the reason in its name.
 */
import { spawnSync } from 'node:child_process';

function present(command: string, args: string[]): boolean {
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0;
}

/** tshark (Debian tshark): dissects pcapng captures. */
export const hasTshark = present('tshark', ['--version']);
/** zbarimg (Debian zbar-tools): decodes barcode images. */
export const hasZbar = present('zbarimg', ['--version']);
