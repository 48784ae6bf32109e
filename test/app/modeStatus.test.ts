/**
 * lib/app/modeStatus.ts: the charging mode's status as an id with numbers, from the solar source's cause and the
 * plan's status; every id translated in all six locales with the tokens its values carry; numbers in the language's
 * way.
 */
import assert from 'assert';
import fs from 'fs';
import path from 'path';
import { chargerModeStatus, MODE_STATUS_IDS, modeStatusTags, modeStatusText, type ModeStatusView } from '../../lib/app/modeStatus';
import type { PlanStatus } from '../../lib/plan/planLimit';
import type { SolarCause, SolarStatus } from '../../lib/solar/source';

const LANGS = ['en', 'nl', 'sv', 'de', 'no', 'da'];
const locale = (lang: string): Record<string, string> =>
  (JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'locales', `${lang}.json`), 'utf8')) as { modeStatus: Record<string, string> }).modeStatus;

function solar(cause: SolarCause, offeredA = 0): SolarStatus {
  return { mode: 'solar', surplusW: cause.surplusW, offeredA, phases: 3, state: 'waiting', cause, reason: '' };
}

function plan(over: Partial<PlanStatus>): PlanStatus {
  return { plan: null, deliveredKWh: 0, neededKWh: 10, charging: false, nextSlot: null, phase: 'waiting', reason: '', hasTarget: true, expectedCost: null, ...over };
}

describe('lib/app/modeStatus', () => {
  it('Solar only and Min + Solar: from the solar cause, kW to one decimal', () => {
    const tz = 'Europe/Stockholm';
    assert.deepStrictEqual(chargerModeStatus('solar', null, null, tz), { id: 'solar_unknown', values: {} });
    assert.deepStrictEqual(chargerModeStatus('solar', solar({ id: 'solar_waiting', surplusW: 812, neededW: 4140 }), null, tz), { id: 'solar_waiting', values: { surplus: 0.8, needed: 4.1 } });
    assert.deepStrictEqual(chargerModeStatus('solar', solar({ id: 'solar_waiting', surplusW: -900, neededW: 4140 }), null, tz).values.surplus, 0, 'import is no surplus');
    assert.deepStrictEqual(chargerModeStatus('solar', solar({ id: 'solar_charging', surplusW: 5520 }, 8), null, tz), { id: 'solar_charging', values: { current: 8, surplus: 5.5 } });
    assert.deepStrictEqual(chargerModeStatus('solar', solar({ id: 'solar_start_limit', surplusW: 5000, starts: 6 }), null, tz), { id: 'solar_start_limit', values: { starts: 6 } });
    assert.deepStrictEqual(chargerModeStatus('min+solar', null, null, tz), { id: 'min_solar_unknown', values: { current: 0 } });
    assert.deepStrictEqual(chargerModeStatus('min+solar', solar({ id: 'min_solar_minimum', surplusW: 300, minA: 6 }, 6), null, tz), { id: 'min_solar_minimum', values: { current: 6, surplus: 0.3 } });
    assert.deepStrictEqual(chargerModeStatus('min+solar', solar({ id: 'min_solar_surplus', surplusW: 2300 }, 10), null, tz), { id: 'min_solar_surplus', values: { current: 10, surplus: 2.3 } });
    assert.deepStrictEqual(chargerModeStatus('off', solar({ id: 'off', surplusW: null }), null, tz), { id: 'off', values: {} });
    assert.deepStrictEqual(chargerModeStatus('fast', null, null, tz), { id: 'fast', values: {} });
  });

  it('Planned: from the plan\'s phase; the next slot on the local clock (summer time in Stockholm)', () => {
    const tz = 'Europe/Stockholm';
    const slot = { startMs: Date.UTC(2025, 6, 1, 0, 15), endMs: Date.UTC(2025, 6, 1, 1, 0), powerW: 11000, energyWh: 8000, price: 0.1, priceKnown: true };
    assert.deepStrictEqual(chargerModeStatus('planned', null, plan({ nextSlot: slot }), tz), { id: 'plan_waiting', values: { time: '02:15' } });
    assert.strictEqual(chargerModeStatus('planned', null, plan({}), tz).id, 'plan_no_slot');
    assert.strictEqual(chargerModeStatus('planned', null, plan({ hasTarget: false, phase: 'idle' }), tz).id, 'plan_none');
    assert.strictEqual(chargerModeStatus('planned', null, plan({ phase: 'idle' }), tz).id, 'plan_first_reading');
    assert.strictEqual(chargerModeStatus('planned', null, plan({ phase: 'charging', charging: true }), tz).id, 'plan_charging');
    assert.strictEqual(chargerModeStatus('planned', null, plan({ phase: 'fallback', charging: true }), tz).id, 'plan_fallback');
    assert.strictEqual(chargerModeStatus('planned', null, plan({ phase: 'missed', charging: true }), tz).id, 'plan_missed');
    assert.deepStrictEqual(chargerModeStatus('planned', null, plan({ phase: 'done', deliveredKWh: 11.04 }), tz), { id: 'plan_done', values: { kwh: 11 } });
  });

  it('every id has a text in all six locales, with the tokens of the English one', () => {
    const en = locale('en');
    assert.deepStrictEqual(Object.keys(en).sort(), [...MODE_STATUS_IDS].sort(), 'no id without a text, no text without an id');
    const tokens = (t: string): string[] => (t.match(/__\w+?__/g) ?? []).sort();
    for (const lang of LANGS) {
      const texts = locale(lang);
      for (const id of MODE_STATUS_IDS) {
        assert.ok(texts[id], `${lang}: modeStatus.${id}`);
        assert.deepStrictEqual(tokens(texts[id]), tokens(en[id]), `${lang}: modeStatus.${id} tokens`);
      }
    }
  });

  it('translates at the edge: tokens filled, numbers with the language\'s decimal sign', () => {
    const status: ModeStatusView = { id: 'solar_waiting', values: { surplus: 0.8, needed: 4.1 } };
    assert.deepStrictEqual(modeStatusTags(status, 'en'), { surplus: '0.8', needed: '4.1' });
    for (const lang of ['nl', 'sv', 'de', 'no', 'da']) assert.strictEqual(modeStatusTags(status, lang).needed, '4,1', lang);
    const nl = locale('nl');
    const translate = (key: string, tags?: Record<string, string>): string => {
      let text = nl[key.replace(/^modeStatus\./, '')];
      for (const [k, v] of Object.entries(tags ?? {})) text = text.split(`__${k}__`).join(v);
      return text;
    };
    assert.strictEqual(modeStatusText(status, translate, 'nl'), 'Alleen zon: wacht, 0,8 kW overschot van de 4,1 kW die een start nodig heeft');
    assert.strictEqual(modeStatusTags(status, 'not a language!').needed, '4.1', 'an unknown language: English numbers');
  });
});
