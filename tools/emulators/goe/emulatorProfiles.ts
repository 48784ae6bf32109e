/**
 * The go-e emulator's firmware profiles (what each firmware answers and how; emulatorModel.ts says where each comes
 * from) and its options.
 */
import type { Clock } from '../../../lib/clock';

export type GoeProfile = 'v1-020' | 'v1-040' | 'v1-042' | 'v3-051' | 'v2-055' | 'v2-060';

export interface ProfileSpec {
  fwv: string;
  v1: boolean;
  v2: boolean;
  /** v1 accepts the volatile `amx`. */
  amx: boolean;
  /** ... and lists it in /status (fw 040.0 did not: the value showed up in `amp`). */
  amxShown: boolean;
  temps: number[] | null;
  psm: boolean;
  cbl: boolean;
  fsp: boolean;
  unknownFilterStatus: 200 | 400;
  textSetErrors: boolean;
  notFoundText: string;
}

export const GOE_PROFILES: Record<GoeProfile, ProfileSpec> = {
  'v1-020': { fwv: '020-rc1', v1: true, v2: false, amx: false, amxShown: false, temps: null, psm: false, cbl: true, fsp: false, unknownFilterStatus: 200, textSetErrors: false, notFoundText: 'Not found' },
  'v1-040': { fwv: '040.0', v1: true, v2: false, amx: true, amxShown: false, temps: [12.38, 12.13, 11.88, 12.5], psm: false, cbl: true, fsp: false, unknownFilterStatus: 200, textSetErrors: false, notFoundText: 'Not found' },
  'v1-042': { fwv: '042.0', v1: true, v2: false, amx: true, amxShown: true, temps: [15, 14.13, 14.13, 14.63, 17.25, 17.63], psm: false, cbl: true, fsp: false, unknownFilterStatus: 200, textSetErrors: false, notFoundText: 'Not found' },
  'v3-051': { fwv: '051.4', v1: true, v2: true, amx: true, amxShown: true, temps: [24.125, 28.125], psm: false, cbl: true, fsp: true, unknownFilterStatus: 200, textSetErrors: true, notFoundText: 'This URI does not exist' },
  'v2-055': { fwv: '055.5', v1: false, v2: true, amx: false, amxShown: false, temps: [24.125, 28.25], psm: true, cbl: true, fsp: true, unknownFilterStatus: 200, textSetErrors: false, notFoundText: 'This URI does not exist' },
  'v2-060': { fwv: '60.3', v1: false, v2: true, amx: false, amxShown: false, temps: [25.5, 30.25], psm: true, cbl: false, fsp: true, unknownFilterStatus: 400, textSetErrors: false, notFoundText: 'Nothing matches the given URI' },
};

export interface GoeEmulatorOptions {
  profile?: GoeProfile;
  serial?: string;
  clock?: Clock;
  /** `ama`, the installer's absolute maximum (default 32). */
  amaA?: number;
  /** Initial `amp` (default 16). */
  ampA?: number;
  /** Supply phases at the charger (default 3). */
  supplyPhases?: 1 | 3;
  voltageV?: number;
  /** Time from "allowed and plugged in" until the car draws current (default 2000 ms). */
  startDelayMs?: number;
  /** Serve the cloud API (v2 token on /api/*, v1 `/api_status` + `/api`) and require this token. */
  cloudToken?: string;
  /** Access control: v2 `acs` (1 = a session waits for a card or `trx`), v1 `ast` (1 = RFID/app). Default 0. */
  acs?: number;
  /** v2 logic mode `lmo`: 3 default, 4 Eco, 5 next trip (default 3). */
  lmo?: number;
  /**
   * How long a `psm` change keeps a connected car from charging (ms, default 10 000): the firmware stops
   * (`modelStatus` 23), simulates an unplug for `sumd` (5 000 ms, modelStatus 22), resets `wh` and resumes on
   * the new phase count (reference §7/§8.5; the stop's own length is not documented: 5 s assumed).
   */
  phaseSwitchMs?: number;
  /** The 16 A adapter is in (`adi`): the charger offers at most 16 A whatever `amp` and `ama` say (default false). */
  adapter16A?: boolean;
}

export interface GoeCar {
  /** Highest current the car draws per phase (A). */
  maxCurrentA: number;
  phases: 1 | 3;
  /** Energy until the battery is full (Wh). */
  needWh: number;
}


/** The charging logic's verdict: `alw` and the reason (`modelStatus`). */
export interface GoeLogic {
  allowed: boolean;
  modelStatus: number;
}
