/**
 * Shared by the P1-over-TCP tests: the real telegrams bundled with the tests, and a real-time wait for
 * bytes on loopback.
 */
import fs from 'fs';
import path from 'path';
import { splitDsmrTelegrams } from '../../../lib/meter/dsmr';

export const DSMR_FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'meter', 'dsmr');

/** 30 consecutive real DSMR 5 telegrams (NL Iskra AM550, Apache-2.0, see test/fixtures/ATTRIBUTION.md). */
export const ISKRA_TELEGRAMS = splitDsmrTelegrams(
  fs.readFileSync(path.join(DSMR_FIXTURES, 'nielsbasjes_dsmr-tools_NL_Iskra_AM550_DSMR5_1s_30telegrams.telegrams.txt'), 'latin1'),
);

/** The template of every telegram an emulated dongle sends (telegramWithValues). */
export const DSMR5_TEMPLATE = ISKRA_TELEGRAMS[0];

/** Wait (real time) until `cond` holds; bytes on loopback take a few ms. */
export async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 3));
  }
}
