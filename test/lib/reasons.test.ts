import assert from 'assert';
import fs from 'fs';
import path from 'path';
import { english, reason, REASONS_EN, renderReason, textReason, type ReasonKey, type ReasonValue } from '../../lib/reasons';
import { reasonSpeaker } from '../../lib/app/reasonText';

const LANGS = ['en', 'nl', 'sv', 'de', 'no', 'da'];
type Locale = { reasons: Record<string, string> } & Record<string, unknown>;
const locale = (lang: string) => JSON.parse(fs.readFileSync(path.join(__dirname, '../../locales', `${lang}.json`), 'utf8')) as Locale;
/** A locale's text at a path ("reasons.lowered"), or the path itself (as Homey's `__` answers an unknown key). */
const at = (l: Locale, p: string): string => {
  const v = p.split('.').reduce<unknown>((node, part) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined), l);
  return typeof v === 'string' ? v : p;
};
/** Keys that are only values or say another key's text: they live in lib/reasons.ts alone. */
const VALUES_ONLY = new Set<ReasonKey>(['text', 'charger_part', 'mode_status']);

/** Every value a template names, filled: a name, a number, and for causes and lists a nested reason. */
function filled(key: ReasonKey): Record<string, ReasonValue> {
  if (key === 'mode_status') return { id: 'solar_waiting', text: 'Solar only: 1.2 kW surplus, 4.1 kW needed to start', surplus: 1.2, needed: 4.1 };
  const values: Record<string, ReasonValue> = {};
  for (const [, name] of REASONS_EN[key].matchAll(/__(\w+)__/g)) {
    if (name === 'cause') values[name] = reason('room_on', { phase: 'L1', a: 7.5 });
    else if (name === 'pinned' || name === 'parts') values[name] = { items: [reason('house_part', { a: 3 }), reason('charger_part', { name: 'Garage', a: 10 })], sep: ', ' };
    else if (['name', 'phase', 'phases'].includes(name)) values[name] = name === 'name' ? 'Garage' : 'L2';
    else values[name] = 12.25;
  }
  return values;
}

describe('lib/reasons', () => {
  it('locales/en.json says every reason as lib/reasons.ts does (one wording); every language has every key', () => {
    const keys = (Object.keys(REASONS_EN) as ReasonKey[]).filter((k) => !VALUES_ONLY.has(k));
    assert.deepStrictEqual(locale('en').reasons, Object.fromEntries(keys.map((k) => [k, REASONS_EN[k]])));
    for (const lang of LANGS) assert.deepStrictEqual(Object.keys(locale(lang).reasons), keys, lang);
  });

  it('writes nested causes, lists and numbers (one decimal; a comma where the language writes one)', () => {
    const r = reason('lowered', {
      cause: reason('overload', { phase: 'L2', v: 26.04, fuse: 25, parts: { items: [reason('house_part', { a: 14 }), reason('charger_part', { name: 'Halo', a: 11.96 })], sep: ', ' } }),
      name: 'Garage',
      from: 16,
      to: 10,
    });
    assert.strictEqual(english(r), 'L2 at 26 A of 25 A fuse (house 14 A, Halo 12 A): lowered Garage from 16 A to 10 A');
    const nl = JSON.parse(fs.readFileSync(path.join(__dirname, '../../locales/nl.json'), 'utf8')) as { reasons: Record<string, string> };
    const dutch = renderReason(reason('room_on', { phase: 'L1', a: 7.46 }), (p) => nl.reasons[p.replace(/^reasons\./, '')], true);
    assert.strictEqual(dutch, 'L1 heeft 7,5 A vrij voor de laders');
    assert.strictEqual(english(textReason('Charging mode __off__: 3.5 kW')), 'Charging mode __off__: 3.5 kW', 'a sentence from elsewhere stays as it is');
    const mode = reason('mode_status', { id: 'solar_waiting', text: 'Solar only: 1.2 kW surplus, 4.1 kW needed to start', surplus: 1.2, needed: 4.1 });
    assert.strictEqual(english(mode), 'Solar only: 1.2 kW surplus, 4.1 kW needed to start', 'English without the locale: the source\'s own sentence');
    assert.strictEqual(renderReason(mode, (p) => at(locale('nl'), p), true), 'Alleen zon: wacht, 1,2 kW overschot van de 4,1 kW die een start nodig heeft');
  });

  it('every reason, in every language, fills all its values', () => {
    for (const lang of LANGS) {
      const l = locale(lang);
      const say = reasonSpeaker({ __: (p) => at(l, p), getLanguage: () => lang });
      for (const key of Object.keys(REASONS_EN) as ReasonKey[]) {
        if (key === 'text') continue;
        const text = say(reason(key, filled(key)));
        assert.ok(!/__\w+__/.test(text) && text.length > 0, `${lang} ${key}: ${text}`);
        if (lang !== 'en' && (!VALUES_ONLY.has(key) || key === 'mode_status')) assert.notStrictEqual(text, english(reason(key, filled(key))), `${lang} ${key} is not translated`);
      }
    }
  });
});
