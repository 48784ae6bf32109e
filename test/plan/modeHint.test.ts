/**
 * The hint of the device card "Set the charging mode" says what mode Planned does without a target, in every
 * language and for both brands: what the plan does (paused, like Off), not what it did once (as Fast).
 */
import assert from 'assert';
import fs from 'fs';
import path from 'path';
import type { ChargerInput } from '../../lib/balancer/types';
import { PlanLimitSource } from '../../lib/plan/planLimit';

const LANGS = ['en', 'nl', 'sv', 'de', 'no', 'da'] as const;
type Texts = Record<(typeof LANGS)[number], string>;
interface Card { id: string; hint: Texts; args: { name: string; values?: { id: string; label: Texts }[] }[] }

function modeCard(brand: string): Card {
  const file = path.join(__dirname, '..', '..', 'drivers', brand, 'driver.flow.compose.json');
  const flow = JSON.parse(fs.readFileSync(file, 'utf8')) as { actions: Card[] };
  const card = flow.actions.find((c) => c.id === `${brand}_set_charging_mode`);
  assert.ok(card, `${brand}_set_charging_mode in ${brand}'s driver.flow.compose.json`);
  return card;
}

/** The hint's sentence about one mode: from "<label>:" to the next full stop. */
function clause(hint: string, label: string): string {
  const at = hint.indexOf(`${label}:`);
  assert.ok(at >= 0, `"${label}:" in "${hint}"`);
  return hint.slice(at, hint.indexOf('.', at) + 1);
}

describe('the "Set the charging mode" hint on mode Planned without a target', () => {
  it('the plan pauses a charger in mode Planned without a target', () => {
    const src = new PlanLimitSource({ timeZone: 'Europe/Amsterdam', modeOf: () => 'planned', settings: () => ({ fuseA: 25, marginA: 1 }) });
    const input: ChargerInput = {
      id: 'ev', name: 'EV', enabled: true, phaseMap: ['L1', 'L2', 'L3'], measuredA: [0, 0, 0], currentLimitA: 16, minCurrentA: 6,
      maxCurrentA: 16, paused: false, carConnected: true, priority: 5, latencyClass: 'local',
    };
    src.observe(0, Date.parse('2025-10-01T18:00:00+02:00'), null, [input]);
    assert.strictEqual(src.charger(0, input)?.maxA, 0);
  });

  for (const brand of ['goe', 'chargeamps']) {
    it(`${brand}: says so in all six languages, with the word the hint uses for Off (paused), never "as Fast"`, () => {
      const card = modeCard(brand);
      const labels = (id: string): Texts => card.args.find((a) => a.name === 'mode')!.values!.find((v) => v.id === id)!.label;
      for (const lang of LANGS) {
        const off = clause(card.hint[lang], labels('off')[lang]); // "Off: paused."
        const pausedWord = off.slice(off.indexOf(':') + 1, -1).trim();
        const planned = clause(card.hint[lang], labels('planned')[lang]);
        assert.ok(planned.includes(pausedWord), `${lang}: "${planned}" says "${pausedWord}"`);
        assert.ok(!planned.includes(labels('fast')[lang]), `${lang}: "${planned}" does not compare it with ${labels('fast')[lang]}`);
      }
    });
  }
});
