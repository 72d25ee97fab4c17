/**
 * The PC/SC layer's error messages, without pcscd. (The binding against the real pcscd is tested in
 * test/devices/smartcard/vpcd.pcscd.test.ts, which owns the vpcd slots.)
 */
import { describe, expect, it } from 'vitest';
import {
  PcscError,
  PcscUnavailableError,
  bindingUnavailable,
  toPcscError,
} from '../../../../host/drivers/uim/pcsc.js';

describe('PC/SC errors', () => {
  it.each([
    ['PC/SC service not running', 'no-service', /pcscd is not running/],
    ['No smart card present', 'no-card', /there is no card in "R 00 00"/],
    ['Unknown reader', 'unknown-reader', /no reader named "R 00 00"/],
    ['Sharing violation', 'sharing-violation', /another application holds the card/],
    ['Card was removed', 'card-removed', /was removed from "R 00 00"/],
    ['Card is unresponsive', 'unresponsive-card', /does not answer/],
    ['Reader unavailable', 'reader-unavailable', /not available/],
    ['Operation timed out', 'timeout', /timed out/],
    ['Transaction failed', 'other', /Transaction failed \(reader "R 00 00"\)/],
  ])('maps the binding message "%s" to %s', (raw, code, text) => {
    const err = toPcscError(new Error(raw), 'R 00 00');
    expect(err).toBeInstanceOf(PcscError);
    expect((err as PcscError).code).toBe(code);
    expect(err.message).toMatch(text);
    expect((err as PcscError).pcscMessage).toBe(raw);
  });

  it('says how to get the binding when npm could not build it', () => {
    const missing = Object.assign(new Error("Cannot find module 'smartcard'\nRequire stack:\n- x"), {
      code: 'MODULE_NOT_FOUND',
    });
    const err = bindingUnavailable(missing);
    expect(err).toBeInstanceOf(PcscUnavailableError);
    expect(err.message).toMatch(/PC\/SC support needs .*install libpcsclite-dev .*re-run npm ci/);
  });

  it('says which library is missing when libpcsclite is not installed', () => {
    const err = bindingUnavailable(
      new Error('libpcsclite.so.1: cannot open shared object file: No such file or directory'),
    );
    expect(err.message).toMatch(/needs libpcsclite .*apt-get install libpcsclite1 pcscd/);
  });
});
