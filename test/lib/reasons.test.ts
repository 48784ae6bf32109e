import assert from 'assert';
import fs from 'fs';
import path from 'path';
import { english, reason, REASONS_EN, renderReason, textReason, type ReasonKey, type ReasonValue } from '../../lib/reasons';
import { reasonSpeaker } from '../../lib/app/reasonText';

const LANGS = ['en', 'nl', 'sv', 'de', 'no', 'da'];
const locale = (lang: string) => JSON.parse(fs.readFileSync(path.join(__dirname, '../../locales', `${lang}.json`), 'utf8')) as { reasons: Record<string, string> };
/** Keys that are only values (the same in every language): they live in lib/reasons.ts alone. */
const VALUES_ONLY = new Set<ReasonKey>(['text', 'charger_part']);

/** Every value a template names, filled: a name, a number, and for causes and lists a nested reason. */
function filled(key: ReasonKey): Record<string, ReasonValue> {
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
    const dutch = renderReason(reason('room_on', { phase: 'L1', a: 7.46 }), (k) => nl.reasons[k], true);
    assert.strictEqual(dutch, 'L1 heeft 7,5 A vrij voor de laders');
    assert.strictEqual(english(textReason('Charging mode __off__: 3.5 kW')), 'Charging mode __off__: 3.5 kW', 'a sentence from elsewhere stays as it is');
  });

  it('every reason, in every language, fills all its values', () => {
    for (const lang of LANGS) {
      const templates = locale(lang).reasons;
      const say = reasonSpeaker({ __: (key) => templates[key.replace(/^reasons\./, '')] ?? key, getLanguage: () => lang });
      for (const key of Object.keys(REASONS_EN) as ReasonKey[]) {
        if (key === 'text') continue;
        const text = say(reason(key, filled(key)));
        assert.ok(!/__\w+__/.test(text) && text.length > 0, `${lang} ${key}: ${text}`);
        if (lang !== 'en' && !VALUES_ONLY.has(key)) assert.notStrictEqual(text, english(reason(key, filled(key))), `${lang} ${key} is not translated`);
      }
    }
  });
});
