/**
 * How a set changes the go-e emulator's state: v1 `key=value` (invalid values leave the state unchanged, as the
 * firmware does) and v2 `key=<JSON>` (the firmware's per-key answers: true or its error text).
 */
import { GoeChargerModel } from './emulatorModel';

const V2_SETTABLE = new Set(['amp', 'frc', 'psm', 'dwo', 'ids', 'fna', 'ama', 'acs', 'trx', 'lmo']);
const V2_READ_ONLY = new Set(['alw', 'car', 'nrg', 'eto', 'wh', 'err', 'acu', 'sse', 'fwv', 'pha', 'tma', 'cbl', 'modelStatus', 'var', 'rbc', 'rbt']);

/** The model with its writes: what the HTTP side (emulator.ts) serves. */
export class GoeSettableModel extends GoeChargerModel {

  /** Apply one v1 `key=value`; invalid values leave the state unchanged (as the firmware does). */
  protected setV1(key: string, value: string): void {
    this.update();
    const n = /^-?\d+$/.test(value) ? Number(value) : NaN;
    const amps = Number.isInteger(n) && n >= 6 && n <= 32;
    if (key === 'amp' && amps) {
      this.ampPersisted = n;
      this.ampVolatile = n;
    } else if (key === 'amx' && amps && this.spec.amx) {
      this.ampVolatile = n;
    } else if (key === 'ama' && amps) {
      this.ama = n;
    } else if (key === 'alw' && (n === 0 || n === 1)) {
      this.alwSetting = n;
    } else if (key === 'stp' && (n === 0 || n === 2)) {
      this.stp = n;
    } else if (key === 'dwo' && Number.isInteger(n) && n >= 0) {
      this.dwoWh = n === 0 ? null : n * 100;
    } else if (key === 'ast' && Number.isInteger(n) && n >= 0 && n <= 3) {
      this.acs = n;
    }
    this.update();
  }

  /** Apply one v2 key; returns true or the firmware's error string. */
  protected setV2(key: string, raw: string): true | string {
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      return `${key}: tried to set api key with invalid json InvalidInput (${raw})`;
    }
    if (V2_READ_ONLY.has(key) || (key === 'trx' && this.faults.trxReadOnly)) return `${key}: tried to set api key without setter (${raw})`;
    if (!V2_SETTABLE.has(key) || (key === 'psm' && !this.spec.psm)) return `${key}: unknown api key (${raw})`;
    this.update();
    const range = (lo: number, hi: number): string | null =>
      typeof value !== 'number' || !Number.isInteger(value) ? `${key}: value must be integer (${raw})` : value < lo || value > hi ? `${key}: failed: Value ${value} exceeds range ${lo} to ${hi} (${raw})` : null;
    let problem: string | null = null;
    switch (key) {
      case 'amp':
      case 'ama':
        problem = range(6, 32);
        if (!problem && key === 'amp') {
          this.ampPersisted = value as number;
          this.ampVolatile = value as number;
        } else if (!problem) this.ama = value as number;
        break;
      case 'frc':
      case 'psm':
        problem = range(0, 2);
        if (!problem && key === 'frc') this.frc = value as number;
        if (!problem && key === 'psm' && this.psm !== value) {
          this.psm = value as number;
          if (!this.faults.psmIgnored) this.psmActive = this.psm;
          this.chargeStartMs = null; // the charger stops, simulates an unplug and restarts on the new phase count
          if (this.car) {
            this.phaseSwitchUntilMs = this.clock.nowMs() + this.options.phaseSwitchMs;
            this.sessionWh = 0; // `wh` restarts (evcc#13726)
          }
        }
        break;
      case 'dwo':
        if (value !== null && (typeof value !== 'number' || value < 0)) problem = `${key}: value must be a number or null (${raw})`;
        else this.dwoWh = value === 0 ? null : (value as number | null);
        break;
      case 'ids': {
        const o = value as Record<string, unknown> | null;
        if (!o || typeof o !== 'object' || typeof o.pGrid !== 'number') problem = `${key}: pGrid missing (${raw})`;
        else this.ids = { pGrid: o.pGrid, pPv: typeof o.pPv === 'number' ? o.pPv : null, pAkku: typeof o.pAkku === 'number' ? o.pAkku : null, atMs: this.clock.nowMs() };
        break;
      }
      case 'fna':
        if (typeof value !== 'string') problem = `value must be string ${raw}`;
        else this.fna = value;
        break;
      case 'acs':
        problem = range(0, 2);
        if (!problem) this.acs = value as number;
        break;
      case 'lmo':
        problem = range(3, 5);
        if (!problem) this.lmo = value as number;
        break;
      case 'trx':
        // null ends the transaction; 0 authorises without a card, n as card n (v2#117)
        problem = value === null ? null : range(0, 10);
        if (!problem) this.trx = value as number | null;
        break;
    }
    this.update();
    return problem ?? true;
  }
}
