/** `benchtwin card read`: what an engineer checks on a SIM, from any card in any PC/SC reader, real or twin. */
import { formatCardReport, readCardReport } from '../drivers/uim/card-report.js';
import { connect, listReaders } from '../drivers/uim/pcsc.js';
import { UsageError } from './main.js';

export interface CardReadOptions {
  reader: string | undefined;
  pin: string | undefined;
  json: boolean;
}

async function chooseReader(wanted: string | undefined): Promise<string> {
  const readers = await listReaders();
  if (wanted !== undefined) {
    const r = readers.find((x) => x.name === wanted);
    if (!r)
      throw new UsageError(
        `--reader ${wanted}: no such reader; readers: ${readers.map((x) => `"${x.name}"`).join(', ') || 'none'}`,
      );
    if (!r.cardPresent) throw new UsageError(`--reader ${wanted}: no card in that reader`);
    return r.name;
  }
  const withCard = readers.filter((r) => r.cardPresent && !r.mute);
  if (withCard.length === 1) return withCard[0]!.name;
  if (withCard.length === 0) {
    throw new UsageError(
      `no card in any reader (readers: ${readers.map((x) => `"${x.name}"`).join(', ') || 'none'})`,
    );
  }
  throw new UsageError(
    `cards in several readers: choose one with --reader (${withCard.map((x) => `"${x.name}"`).join(', ')})`,
  );
}

export async function runCardRead(o: CardReadOptions): Promise<number> {
  if (o.pin !== undefined && !/^\d{4,8}$/.test(o.pin)) throw new UsageError('--pin: expected 4 to 8 digits');
  const reader = await chooseReader(o.reader);
  const channel = await connect(reader);
  try {
    const report = await readCardReport(channel, {
      readerName: reader,
      ...(o.pin !== undefined ? { pin: o.pin } : {}),
    });
    console.log(o.json ? JSON.stringify(report, null, 2) : formatCardReport(report));
    return report.iccid.ok ? 0 : 1;
  } finally {
    await channel.disconnect('leave');
  }
}
