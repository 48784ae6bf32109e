/**
 * The go-e's own reason for charging or not (v2 key `modelStatus`), as a stable id and an English line.
 * The ids are the values of the device capability `goe_reason` (.homeycompose/capabilities/goe_reason.json
 * translates them); the English text is for logs and the CLI. Codes and names: the go-e API v2 key list
 * (`apikeys-en.md`) and the firmware 60.4 export, which adds 36–41 (reference goe-api.md §3.5). A code
 * this table does not know (new firmware keeps adding them) becomes `other`, with the code in the text.
 * API v1 has no such key: no reason.
 */

/** Every reason id, in the order of the capability's values. */
export const GOE_REASON_IDS = [
  'allowed',
  'allowed_forced_on',
  'allowed_cheap_price',
  'allowed_next_trip',
  'allowed_pv_surplus',
  'no_controller_data',
  'overtemperature',
  'waiting_for_authorisation',
  'forced_off',
  'scheduler',
  'energy_limit',
  'eco_waiting_for_price',
  'next_trip_waiting',
  'simulated_unplugging',
  'phase_switch',
  'minimum_pause',
  'error',
  'load_management',
  'ocpp',
  'reconnect_delay',
  'adapter_blocking',
  'grid_protection',
  'unbalanced_load',
  'initializing',
  'other',
] as const;

export type GoeReasonId = (typeof GOE_REASON_IDS)[number];

export interface GoeReason {
  /** `modelStatus` as the charger sent it. */
  code: number;
  id: GoeReasonId;
  /** The charger's logic lets the car charge now (the names starting "ChargingBecause…"). */
  charging: boolean;
  /** One English line, e.g. "not charging: waiting for authorisation (RFID card or app)". */
  text: string;
}

/** [code, id, charging, what the charger says, in plain words]. */
const CODES: [number, GoeReasonId, boolean, string][] = [
  [0, 'no_controller_data', false, 'no data from the charge controller'],
  [1, 'overtemperature', false, 'too hot'],
  [2, 'waiting_for_authorisation', false, 'waiting for authorisation (RFID card or app)'],
  [3, 'allowed_forced_on', true, 'forced on (frc=2): the charger\'s own schedules are off until unplug'],
  [4, 'forced_off', false, 'paused (forced off, frc=1)'],
  [5, 'scheduler', false, 'the charger\'s scheduler holds it off'],
  [6, 'energy_limit', false, 'session energy limit reached'],
  [7, 'allowed_cheap_price', true, 'Eco mode: the electricity price is low'],
  [8, 'allowed_next_trip', true, 'next trip: test charge'],
  [9, 'allowed_next_trip', true, 'next trip: not enough time left, charging now'],
  [10, 'allowed_next_trip', true, 'next trip: charging to be ready in time'],
  [11, 'allowed_next_trip', true, 'next trip: no clock, charging now'],
  [12, 'allowed_pv_surplus', true, 'PV surplus'],
  [13, 'allowed', true, 'default logic (go-e fallback)'],
  [14, 'allowed', true, 'default logic (go-e scheduler fallback)'],
  [15, 'allowed', true, 'default logic'],
  [16, 'eco_waiting_for_price', false, 'Eco mode: waiting for a low price (go-e)'],
  [17, 'eco_waiting_for_price', false, 'Eco mode: waiting for a low price'],
  [18, 'next_trip_waiting', false, 'next trip: waiting for the planned start'],
  [19, 'allowed', true, 'keeping the car awake (car compatibility)'],
  [20, 'allowed', true, 'charge pause not allowed'],
  [22, 'simulated_unplugging', false, 'simulating an unplug'],
  [23, 'phase_switch', false, 'switching phases'],
  [24, 'minimum_pause', false, 'minimum pause between charges'],
  [26, 'error', false, 'charger error'],
  [27, 'load_management', false, 'the charger\'s load management holds it off'],
  [28, 'ocpp', false, 'OCPP backend holds it off'],
  [29, 'reconnect_delay', false, 'reconnect delay'],
  [30, 'adapter_blocking', false, 'an adapter blocks charging'],
  [31, 'grid_protection', false, 'underfrequency control'],
  [32, 'unbalanced_load', false, 'unbalanced load'],
  [33, 'allowed_pv_surplus', true, 'discharging the PV battery'],
  [34, 'grid_protection', false, 'grid monitoring'],
  [35, 'ocpp', false, 'OCPP fallback'],
  [36, 'other', false, 'floor detected'],
  [37, 'ocpp', false, 'OCPP: inoperable'],
  [38, 'grid_protection', false, 'undervoltage control'],
  [39, 'load_management', false, 'zero current setpoint'],
  [40, 'initializing', false, 'initializing'],
  [41, 'load_management', false, 'failsafe current limit'],
];

const BY_CODE = new Map(CODES.map(([code, id, charging, what]) => [code, { id, charging, what }]));

/** The reason for a `modelStatus` value; null when there is none (v1, missing, not a whole number). */
export function goeReason(modelStatus: unknown): GoeReason | null {
  if (typeof modelStatus !== 'number' || !Number.isInteger(modelStatus) || modelStatus < 0) return null;
  const known = BY_CODE.get(modelStatus);
  if (!known) return { code: modelStatus, id: 'other', charging: false, text: `reason code ${modelStatus} (unknown to this app)` };
  return { code: modelStatus, id: known.id, charging: known.charging, text: `${known.charging ? 'allowed' : 'not charging'}: ${known.what}` };
}

/** The charger's own logic (logic mode, scheduler) holds a session off under frc=0. */
export function heldOffByOwnLogic(reason: GoeReason | null): boolean {
  return reason !== null && ['scheduler', 'eco_waiting_for_price', 'next_trip_waiting'].includes(reason.id);
}
