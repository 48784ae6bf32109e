/**
 * Static checks of the settings page (no browser needed): every text it shows exists in en, nl, sv,
 * de, no and da, and its client-side limits agree with the app's validation.
 * Keys come from `data-i18n` attributes, `t('…')` calls (also `t(c ? 'a' : 'b')`) and the keys the page
 * builds from values.
 */
import assert from 'assert';
import fs from 'fs';
import path from 'path';
import { GRID_PHASES } from '../../lib/balancer/types';
import { METER_SOURCES, SETTINGS_LIMITS } from '../../lib/settingsValidation';

const ROOT = path.join(__dirname, '..', '..');
const LANGS = ['en', 'nl', 'sv', 'de', 'no', 'da'];
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

function flatten(node: unknown, prefix: string, out: Map<string, string>): Map<string, string> {
  if (typeof node === 'string') out.set(prefix, node);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  }
  return out;
}

function usedKeys(): string[] {
  const html = read('settings/index.html');
  // settings.js and every section's own script (settings/<topic>.js)
  const js = fs.readdirSync(path.join(ROOT, 'settings')).filter((f) => f.endsWith('.js')).map((f) => read(`settings/${f}`)).join('\n');
  const keys = new Set<string>();
  for (const m of html.matchAll(/data-i18n="settings\.([^"]+)"/g)) keys.add(m[1]);
  for (const m of js.matchAll(/\bt\('([^']+)'\s*[,)]/g)) keys.add(m[1]);
  // Keys picked by a condition, e.g. t(rule.integer ? 'err.integer' : 'err.number').
  for (const m of js.matchAll(/\bt\([^()\n]*?\?\s*'([^']+)'\s*:\s*'([^']+)'/g)) keys.add(m[1]).add(m[2]);
  // Keys the page composes from values.
  for (const brand of ['goe', 'chargeamps']) keys.add(`brand.${brand}`);
  for (const source of METER_SOURCES) keys.add(`live.source.${source}`);
  for (const type of ['reduced', 'restored', 'paused', 'resumed', 'meterStale', 'overloadUnresolved']) keys.add(`event.${type}`);
  return [...keys].sort();
}

describe('settings page translations', () => {
  const locales = new Map(LANGS.map((lang) => {
    const json = JSON.parse(read(`locales/${lang}.json`)) as { settings?: unknown };
    return [lang, flatten(json.settings, '', new Map())];
  }));

  it('finds the keys the page uses', () => {
    const keys = usedKeys();
    assert.ok(keys.length > 60, `only ${keys.length} keys found: the scan is broken`);
    assert.ok(keys.includes('fuse.fuseA') && keys.includes('err.margin') && keys.includes('live.left'));
  });

  for (const lang of LANGS) {
    it(`has every key in ${lang}, non-empty, with the same {placeholders} as English`, () => {
      const strings = locales.get(lang)!;
      const en = locales.get('en')!;
      const missing = usedKeys().filter((k) => !strings.get(k)?.trim());
      assert.deepStrictEqual(missing, [], `missing in locales/${lang}.json under "settings"`);
      for (const [key, text] of en) {
        const vars = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
        assert.deepStrictEqual(vars(strings.get(key) ?? ''), vars(text), `${lang} settings.${key} placeholders`);
      }
    });
  }

  it('has no unused keys in English', () => {
    const used = new Set(usedKeys());
    assert.deepStrictEqual([...locales.get('en')!.keys()].filter((k) => !used.has(k)), []);
  });

  it('offers exactly the grid phases the validation accepts', () => {
    assert.match(read('settings/common.js'), new RegExp(`var PHASES = \\[${GRID_PHASES.map((p) => `'${p}'`).join(', ')}\\]`));
  });
});

describe('settings page limits', () => {
  it('checks the same number ranges before sending as the app does', () => {
    const js = read('settings/settings.js');
    const page = new Map<string, { min: number; max?: number }>();
    for (const m of js.matchAll(/(\w+): \{ min: (\d+)(?:, max: (\d+))?(?:, integer: true)? \}/g)) {
      page.set(m[1], { min: Number(m[2]), ...(m[3] ? { max: Number(m[3]) } : {}) });
    }
    const { minChargeA: _notARange, ...ranges } = SETTINGS_LIMITS;
    const app: Record<string, { min: number; max?: number }> = {
      ...ranges,
      marginA: { min: 0 },
      pauseAfterS: { min: SETTINGS_LIMITS.staleAfterS.min + 1, max: SETTINGS_LIMITS.pauseAfterS.max },
    };
    const names = ['fuseA', 'marginA', 'restoreStepA', 'restoreHoldS', 'staleAfterS', 'pauseAfterS', 'resumeWindowS', 'priority', 'maxCurrentA'];
    for (const name of names) assert.deepStrictEqual(page.get(name), { min: app[name].min, ...(app[name].max !== undefined ? { max: app[name].max } : {}) }, name);
  });
});
