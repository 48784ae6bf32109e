/**
 * Pure mapping from a Charge Amps connector status to Homey capability values (no Homey import).
 */
import type { ChargerStatus } from '../../lib/charger';

export type CapabilityValue = number | string | boolean | null;

/** Capabilities of a Type 2 charger connector; the cable lock only where the cable is not fixed (not Halo). */
export function chargerCapabilities(hasCableLock: boolean): string[] {
  return [
    'evcharger_charging',
    'evcharger_charging_state',
    'measure_power',
    'meter_power',
    'meter_power.session',
    'measure_current.l1',
    'measure_current.l2',
    'measure_current.l3',
    'measure_voltage.l1',
    'measure_voltage.l2',
    'measure_voltage.l3',
    'charger_current_limit',
    'target_power',
    'target_power_mode',
    'alarm_generic.below_target',
    'charging_mode',
    'charger_phases',
    'charger_error',
    'chargeamps_connector_status',
    'chargeamps_online',
    ...(hasCableLock ? ['chargeamps_cable_lock'] : []),
    'chargeamps_dimmer',
  ];
}

/** Capabilities of a Halo's Schuko outlet (class socket): on/off, power and energy. */
export const SCHUKO_CAPABILITIES = ['onoff', 'measure_power', 'meter_power', 'measure_current', 'measure_voltage', 'charger_error', 'chargeamps_connector_status', 'chargeamps_online'];

export function chargingState(s: ChargerStatus): string | null {
  switch (s.state) {
    case 'idle':
      return 'plugged_out';
    case 'charging':
      return 'plugged_in_charging';
    case 'connected':
      return s.chargingAllowed ? 'plugged_in' : 'plugged_in_paused';
    case 'complete':
      return 'plugged_in';
    default:
      return null;
  }
}

const kWh = (wh: number | null): number | null => (wh === null ? null : Math.round(wh) / 1000);

export interface ConnectorExtras {
  rawStatus: string | null;
  cableLock: boolean | null;
  dimmer: string | null;
}

/** Values for every capability either kind of connector may have; the device sets the ones it has. */
export function capabilityValues(s: ChargerStatus, extra: ConnectorExtras): Record<string, CapabilityValue> {
  const values: Record<string, CapabilityValue> = {
    evcharger_charging: s.chargingAllowed,
    evcharger_charging_state: chargingState(s),
    onoff: s.chargingAllowed,
    measure_power: s.powerW,
    meter_power: kWh(s.totalEnergyWh),
    'meter_power.session': kWh(s.sessionEnergyWh),
    measure_current: s.phases[0].currentA,
    measure_voltage: s.phases[0].voltageV,
    charger_current_limit: s.currentLimitA,
    charger_phases: s.activePhases,
    charger_error: s.error ?? '',
    chargeamps_connector_status: extra.rawStatus ?? '',
    chargeamps_online: s.online,
    chargeamps_cable_lock: extra.cableLock,
    chargeamps_dimmer: extra.dimmer,
  };
  for (const p of s.phases) {
    values[`measure_current.l${p.phase + 1}`] = p.currentA;
    values[`measure_voltage.l${p.phase + 1}`] = p.voltageV;
  }
  return values;
}
