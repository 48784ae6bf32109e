/**
 * Every string in every language. The app speaks en, nl, sv, de, no (Norwegian Bokmål) and da: every translation
 * object of the manifest sources (.homeycompose/, drivers/<id>/driver*.compose.json, widgets/<id>/widget.compose.json)
 * and of every .homeychangelog.json version has exactly these six, none empty, with the placeholders of the English
 * ([[arg]], !{{…|…}}); every locales/<lang>.json has the keys of locales/en.json, none empty, with the same __tags__
 * and {vars}; every key the drivers and their pair and repair views ask for exists; and each language has its store
 * text (README.txt for en, README.<lang>.txt for the others) in plain text. Messages the runtime builds in English
 * (lib/, the chargers' own error texts) stay English and are not checked here. The settings page and the widget have
 * their own checks (test/browser/settings-static.test.ts, test/browser/widget.test.ts).
 */
import assert from 'assert';
import fs from 'fs';
import path from 'path';

const ROOT = path.join(__dirname, '..');
const LANGS = ['en', 'nl', 'sv', 'de', 'no', 'da'];
/** Strings that are the same in every language: product and protocol names. */
const SAME_EVERYWHERE = new Set(['PhaseGuard EV', 'go-e Charger', 'HTTP API v2', 'Charge Amps: __message__', 'HomeWizard P1']);

const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');
const json = (file: string) => JSON.parse(read(file)) as unknown;

function jsonFilesUnder(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.posix.join(dir, e.name);
    if (e.isDirectory()) return jsonFilesUnder(rel);
    return e.name.endsWith('.json') ? [rel] : [];
  });
}

/** The manifest sources whose strings Homey shows: compose files, driver compose files, widgets, the changelog. */
function manifestSources(): string[] {
  const drivers = fs.readdirSync(path.join(ROOT, 'drivers'), { withFileTypes: true }).filter((e) => e.isDirectory())
    .flatMap((d) => fs.readdirSync(path.join(ROOT, 'drivers', d.name))
      .filter((f) => /^driver(\.\w+)?\.compose\.json$/.test(f)).map((f) => `drivers/${d.name}/${f}`));
  const widgets = fs.readdirSync(path.join(ROOT, 'widgets'), { withFileTypes: true }).filter((e) => e.isDirectory())
    .map((d) => `widgets/${d.name}/widget.compose.json`).filter((f) => fs.existsSync(path.join(ROOT, f)));
  return [...jsonFilesUnder('.homeycompose'), ...drivers, ...widgets, '.homeychangelog.json'];
}

type Translation = Record<string, unknown>;
const text = (t: Translation, lang: string): string => (typeof t[lang] === 'string' ? t[lang] as string : '');

/** Languages Homey has (homey-lib's capability titles): an object with one of them and nothing else, or with "en", is a translation object. */
const HOMEY_LANGS = new Set(['en', 'nl', 'de', 'fr', 'it', 'sv', 'no', 'es', 'da', 'ru', 'pl', 'ko', 'ar']);
function isTranslation(node: object): node is Translation {
  const keys = Object.keys(node);
  return keys.length > 0 && (keys.includes('en') || keys.every((k) => HOMEY_LANGS.has(k)));
}

function translations(node: unknown, where: string, out: { where: string; t: Translation }[] = []) {
  if (Array.isArray(node)) node.forEach((v, i) => translations(v, `${where}[${i}]`, out));
  else if (node && typeof node === 'object') {
    if (isTranslation(node)) out.push({ where, t: node });
    else for (const [k, v] of Object.entries(node)) translations(v, `${where}.${k}`, out);
  }
  return out;
}

/** What must survive translation: flow card [[args]], the number of !{{…|…}} pairs, locale __tags__ and {vars}. */
function placeholders(text: string): string[] {
  const args = [...text.matchAll(/\[\[(\w+)\]\]|__(\w+)__|\{(\w+)\}/g)].map((m) => m[0]);
  const pairs = [...text.matchAll(/!\{\{[^|}]*\|[^}]*\}\}/g)].map(() => '!{{|}}');
  return [...args, ...pairs].sort();
}

function flatten(node: unknown, prefix: string, out: Map<string, unknown>): Map<string, unknown> {
  if (node && typeof node === 'object' && !Array.isArray(node)) {
    for (const [k, v] of Object.entries(node)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else out.set(prefix, node);
  return out;
}

/** Keys of locales/*.json that code asks for: homey.__('…') in the drivers, Homey.__('…') and data-i18n in the views. */
function usedKeys(): Map<string, string> {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = path.posix.join(dir, e.name);
      if (e.isDirectory() && e.name !== 'assets') walk(rel);
      else if (/\.(ts|html)$/.test(e.name)) files.push(rel);
    }
  };
  for (const dir of ['drivers', 'flow', 'lib']) walk(dir);
  files.push('app.ts', 'api.ts');
  const keys = new Map<string, string>();
  for (const file of files) {
    const source = read(file);
    for (const m of source.matchAll(/\b__\('([^']+)'/g)) keys.set(m[1], file);
    if (file.endsWith('.html')) for (const m of source.matchAll(/data-i18n="([^"]+)"/g)) keys.set(m[1], file);
  }
  return keys;
}

describe('every string in every language (en, nl, sv, de, no, da)', () => {
  const found = manifestSources().flatMap((file) => translations(json(file), file));

  it('finds the translation objects of the manifest sources', () => {
    assert.ok(found.length > 250, `only ${found.length} translation objects: the scan is broken`);
    for (const part of ['.homeycompose/app.json', '.homeycompose/capabilities/', '.homeycompose/flow/', 'driver.compose.json',
      'driver.flow.compose.json', 'driver.settings.compose.json', 'widget.compose.json', '.homeychangelog.json']) {
      assert.ok(found.some((f) => f.where.includes(part)), `nothing found in ${part}`);
    }
  });

  it('has exactly the six languages in every translation object of the manifest and changelog, none empty', () => {
    const wrong = found.filter(({ t }) => Object.keys(t).sort().join() !== [...LANGS].sort().join())
      .map(({ where, t }) => `${where}: ${Object.keys(t).join(', ')}`);
    assert.deepStrictEqual(wrong, []);
    const empty = found.flatMap(({ where, t }) => LANGS.filter((l) => typeof t[l] !== 'string' || !(t[l] as string).trim())
      .map((l) => `${where}.${l}`));
    assert.deepStrictEqual(empty, []);
  });

  it('keeps the placeholders of the English in every language of the manifest', () => {
    const wrong = found.flatMap(({ where, t }) => LANGS.filter((l) => placeholders(text(t, l)).join() !== placeholders(text(t, 'en')).join())
      .map((l) => `${where}.${l}: ${text(t, l)}`));
    assert.deepStrictEqual(wrong, []);
  });

  it('translates what is not a name: no sentence of the manifest is left in English', () => {
    const english = found.flatMap(({ where, t }) => LANGS.filter((l) => l !== 'en' && t[l] === t.en
      && text(t, 'en').trim().split(/\s+/).length >= 3 && !SAME_EVERYWHERE.has(text(t, 'en'))).map((l) => `${where}.${l}: ${text(t, 'en')}`));
    assert.deepStrictEqual(english, []);
  });

  it('has locales/<lang>.json for exactly the six languages', () => {
    assert.deepStrictEqual(fs.readdirSync(path.join(ROOT, 'locales')).sort(), LANGS.map((l) => `${l}.json`).sort());
  });

  const en = flatten(json('locales/en.json'), '', new Map());
  for (const lang of LANGS) {
    it(`locales/${lang}.json: every key of en.json and no other, non-empty, same __tags__ and {vars}`, () => {
      const strings = flatten(json(`locales/${lang}.json`), '', new Map());
      assert.deepStrictEqual([...strings.keys()].sort(), [...en.keys()].sort());
      for (const [key, value] of strings) {
        assert.ok(typeof value === 'string' && value.trim(), `${lang}: ${key} is empty`);
        assert.deepStrictEqual(placeholders(value), placeholders(en.get(key) as string), `${lang}: ${key} placeholders`);
        if (lang !== 'en' && value.split(/\s+/).length >= 3 && !SAME_EVERYWHERE.has(value)) {
          assert.notStrictEqual(value, en.get(key), `${lang}: ${key} is still English`);
        }
      }
    });
  }

  it('has every key that the drivers and their pair and repair views ask for', () => {
    const used = usedKeys();
    assert.ok(used.size > 30, `only ${used.size} keys found: the scan is broken`);
    assert.deepStrictEqual([...used].filter(([key]) => !en.has(key)).map(([key, file]) => `${file}: ${key}`), []);
  });

  for (const lang of LANGS) {
    const file = lang === 'en' ? 'README.txt' : `README.${lang}.txt`;
    it(`has the store text ${file}: plain text that names both brands, the per-phase fuse and the P1 dongle`, () => {
      assert.ok(fs.existsSync(path.join(ROOT, file)), `${file} is missing`);
      const store = read(file);
      assert.ok(store.trim().length > 1000, `${file} is short`);
      assert.doesNotMatch(store, /:\/\/|www\.|^#|\*\*|\]\(/m, 'no URLs, no markdown');
      for (const name of ['go-e', 'Charge Amps', 'Halo', 'P1', 'L1', 'L3']) assert.ok(store.includes(name), `${file} does not name ${name}`);
      assert.match(store, /P1[- ][Dd]ong(le|el)/, `${file} does not name the P1 dongle`);
      if (lang !== 'en') assert.notStrictEqual(store, read('README.txt'));
    });
  }
});
