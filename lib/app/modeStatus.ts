/**
 * Why a charger in a charging mode is (not) charging, for people: the device capability `charging_mode_status` and
 * the settings page's live view. lib/ gives a stable id and numbers (`ModeStatusView`); the edge translates it with
 * the locale key `modeStatus.<id>` (tokens `__name__`), so no English sentence of lib/ is shown in another language.
 *
 * Sources: lib/solar's `status(id)` (its `cause`) for Solar only, Min + Solar and Off; lib/plan's `status(id)` for
 * Planned; Fast has no source (the fuse and the capacity guard only).
 */
import { DateTime } from 'luxon';
import type { ChargingMode } from '../limits';
import type { PlanStatus } from '../plan/planLimit';
import type { SolarStatus } from '../solar/source';

/** Every status id; each is a key `modeStatus.<id>` in locales/*.json. */
export const MODE_STATUS_IDS = [
  'fast',
  'off',
  'solar_unknown',
  'solar_waiting',
  'solar_starting',
  'solar_start_limit',
  'solar_charging',
  'solar_stopping',
  'min_solar_surplus',
  'min_solar_minimum',
  'min_solar_unknown',
  'plan_none',
  'plan_first_reading',
  'plan_waiting',
  'plan_no_slot',
  'plan_charging',
  'plan_fallback',
  'plan_done',
  'plan_missed',
] as const;

export type ModeStatusId = (typeof MODE_STATUS_IDS)[number];

/** A status as an id and its numbers (kW and kWh to one decimal, whole amps) or a local clock time ("02:15"). */
export interface ModeStatusView {
  id: ModeStatusId;
  values: Record<string, number | string>;
}

const kW = (w: number | null | undefined): number => Math.round(Math.max(0, w ?? 0) / 100) / 10;

function solarStatus(s: SolarStatus | null, mode: 'solar' | 'min+solar'): ModeStatusView {
  const c = s?.cause;
  if (mode === 'min+solar') {
    const currentA = c?.minA ?? s?.offeredA ?? 0;
    if (!s || !c || c.surplusW === null) return { id: 'min_solar_unknown', values: { current: currentA } };
    if (c.id === 'min_solar_surplus') return { id: 'min_solar_surplus', values: { current: s.offeredA, surplus: kW(c.surplusW) } };
    return { id: 'min_solar_minimum', values: { current: currentA, surplus: kW(c.surplusW) } };
  }
  if (!s || !c || c.surplusW === null) return { id: 'solar_unknown', values: {} };
  switch (c.id) {
    case 'solar_waiting':
      return { id: 'solar_waiting', values: { surplus: kW(c.surplusW), needed: kW(c.neededW) } };
    case 'solar_starting':
      return { id: 'solar_starting', values: { surplus: kW(c.surplusW) } };
    case 'solar_start_limit':
      return { id: 'solar_start_limit', values: { starts: c.starts ?? 0 } };
    case 'solar_stopping':
      return { id: 'solar_stopping', values: { surplus: kW(c.surplusW) } };
    case 'solar_charging':
      return { id: 'solar_charging', values: { current: s.offeredA, surplus: kW(c.surplusW) } };
    default:
      return { id: 'solar_unknown', values: {} };
  }
}

function planStatus(p: PlanStatus | null, timeZone: string): ModeStatusView {
  if (!p || !p.hasTarget) return { id: 'plan_none', values: {} };
  switch (p.phase) {
    case 'done':
      return { id: 'plan_done', values: { kwh: Math.round(p.deliveredKWh * 10) / 10 } };
    case 'missed':
      return { id: 'plan_missed', values: {} };
    case 'fallback':
      return { id: 'plan_fallback', values: {} };
    case 'charging':
      return { id: 'plan_charging', values: {} };
    case 'idle':
      return { id: 'plan_first_reading', values: {} };
    case 'waiting':
      if (!p.nextSlot) return { id: 'plan_no_slot', values: {} };
      return { id: 'plan_waiting', values: { time: DateTime.fromMillis(p.nextSlot.startMs, { zone: timeZone }).toFormat('HH:mm') } };
  }
}

/** The status of one charger in `mode`, from the solar source's and the plan's status (null: not seen yet). */
export function chargerModeStatus(mode: ChargingMode, solar: SolarStatus | null, plan: PlanStatus | null, timeZone: string): ModeStatusView {
  switch (mode) {
    case 'fast':
      return { id: 'fast', values: {} };
    case 'off':
      return { id: 'off', values: {} };
    case 'solar':
    case 'min+solar':
      return solarStatus(solar, mode);
    case 'planned':
      return planStatus(plan, timeZone);
  }
}

/** The tokens for the locale text: numbers in the language's way (one decimal at most: "4,1" in Dutch). */
export function modeStatusTags(status: ModeStatusView, language: string): Record<string, string> {
  let format: Intl.NumberFormat;
  try {
    format = new Intl.NumberFormat(language, { maximumFractionDigits: 1 });
  } catch {
    format = new Intl.NumberFormat('en', { maximumFractionDigits: 1 });
  }
  const tags: Record<string, string> = {};
  for (const [k, v] of Object.entries(status.values)) tags[k] = typeof v === 'number' ? format.format(v) : v;
  return tags;
}

/** The status in the user's language: `translate` is Homey's `__` (key, tokens `__name__`). */
export function modeStatusText(status: ModeStatusView, translate: (key: string, tags?: Record<string, string>) => string, language: string): string {
  return translate(`modeStatus.${status.id}`, modeStatusTags(status, language));
}
