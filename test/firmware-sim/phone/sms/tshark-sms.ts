/**
 * Feeding TPDUs to tshark's gsm_sms dissector: a pcapng with link type DLT_USER0 mapped to `gsm_sms`
 * through Wireshark's user_dlts table. The packet direction selects the TPDU family, as TP-MTI needs:
 * outbound is SC → MS (DELIVER, STATUS-REPORT), inbound is MS → SC (SUBMIT).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LINKTYPE_USER0, PcapngWriter } from '../../../../devices/capture/pcapng.js';
import type { TpduDirection } from '../../../../firmware-sim/phone/sms/index.js';

const USER_DLT = '"User 0 (DLT=147)","gsm_sms","0","","0",""';

/** One row per packet, one cell per field; repeated occurrences joined by '|'. */
export function tsharkFields(tpdus: Uint8Array[], direction: TpduDirection, fields: string[]): string[][] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchtwin-sms-'));
  try {
    const file = path.join(dir, 'sms.pcapng');
    const w = new PcapngWriter(file);
    const iface = w.addInterface({ linkType: LINKTYPE_USER0 });
    tpdus.forEach((data, i) =>
      w.writePacket({
        interfaceId: iface,
        timestamp: BigInt(i),
        data,
        direction: direction === 'sc-to-ms' ? 'outbound' : 'inbound',
      }),
    );
    w.close();
    const args = ['-r', file, '-o', `uat:user_dlts:${USER_DLT}`, '-T', 'fields'];
    args.push('-E', 'separator=/t', '-E', 'occurrence=a', '-E', 'aggregator=|');
    for (const f of fields) args.push('-e', f);
    const out = spawnSync('tshark', args, { encoding: 'utf8' });
    if (out.status !== 0) throw new Error(`tshark failed: ${out.stderr}`);
    return out.stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => l.split('\t'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
