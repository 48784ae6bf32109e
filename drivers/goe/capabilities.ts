/**
 * Pure mapping from a go-e snapshot to Homey capability values (no Homey import, unit-tested).
 */
import type { GoeSnapshot } from '../../lib/goe/status';

export type CapabilityValue = number | string | boolean | null;

/** evcharger_charging_state from the normalised state and the `car` key. */
export function chargingState(snap: GoeSnapshot): string | null {
  const { status, detail } = snap;
  switch (status.state) {
    case 'idle':
      return 'plugged_out';
    case 'charging':
      return 'plugged_in_charging';
    case 'connected':
      return status.chargingAllowed ? 'plugged_in' : 'plugged_in_paused';
    case 'complete':
      return 'plugged_in';
    default:
      if (detail.pwmSignal === 'ready_no_car') return 'plugged_out';
      if (detail.pwmSignal === 'charging') return 'plugged_in_charging';
      if (detail.pwmSignal === 'waiting_for_car' || detail.pwmSignal === 'charging_done') return 'plugged_in';
      return null;
  }
}

const kWh = (wh: number | null): number | null => (wh === null ? null : Math.round(wh) / 1000);

/** Every capability of the go-e driver, in the order of driver.compose.json. */
export function capabilityValues(snap: GoeSnapshot): Record<string, CapabilityValue> {
  const { status: s, detail: d } = snap;
  const values: Record<string, CapabilityValue> = {
    evcharger_charging: s.chargingAllowed,
    evcharger_charging_state: chargingState(snap),
    measure_power: s.powerW,
    meter_power: kWh(s.totalEnergyWh),
    'meter_power.session': kWh(s.sessionEnergyWh),
  };
  for (const p of s.phases) {
    values[`measure_current.l${p.phase + 1}`] = p.currentA;
    values[`measure_voltage.l${p.phase + 1}`] = p.voltageV;
    values[`measure_power.l${p.phase + 1}`] = p.powerW;
  }
  Object.assign(values, {
    measure_temperature: s.temperatureC,
    charger_current_limit: s.currentLimitA,
    charger_phases: s.activePhases,
    charger_error: s.error ?? '',
    alarm_generic: s.error !== null,
    goe_car_state: d.pwmSignal,
    // the charger's own reason (v2 `modelStatus`); none on API v1
    goe_reason: d.reason?.id ?? null,
    goe_pwm_signal: d.offeredCurrentA,
    goe_allow_charging: d.allowCharging,
    goe_session_energy_limit: d.sessionChargeConsumptionLimitWh === null ? 0 : d.sessionChargeConsumptionLimitWh / 1000,
    goe_stop_state: d.stopState,
    goe_cable_coding: d.cableEncodingA,
    goe_supply_phases: d.phases,
    goe_firmware: d.firmware,
  });
  return values;
}

export interface GoeDeviceSettings {
  host: string;
  api: 'auto' | 'v1' | 'v2' | 'cloud';
  poll_active_s: number;
  poll_idle_s: number;
  installation_max_a: number;
  force_16a: boolean;
  /** A resume may authorise a session that waits for an RFID card (`trx=0`); bypasses the RFID check. Default off. */
  authorise_sessions?: boolean;
}
