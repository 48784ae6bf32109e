/**
 * Reads what Homey would read from an app folder: capability definitions (system ones from homey-lib plus the app's
 * `.homeycompose/capabilities`), flow cards (`.homeycompose/flow/*` and `drivers/<id>/driver.flow.compose.json`),
 * driver manifests and locales. Everything is read lazily and cached per app root.
 */
import fs from 'fs';
import path from 'path';

export interface CapabilityDef {
  type: 'boolean' | 'number' | 'string' | 'enum';
  setable?: boolean;
  getable?: boolean;
  values?: Array<{ id: string }>;
  min?: number;
  max?: number;
  [key: string]: unknown;
}

export interface FlowArgDef {
  name: string;
  type: string;
  values?: Array<{ id: string }>;
  min?: number;
  max?: number;
  required?: boolean;
  [key: string]: unknown;
}

export interface FlowTokenDef {
  name: string;
  type: 'boolean' | 'number' | 'string' | 'image';
  [key: string]: unknown;
}

export type FlowCardType = 'trigger' | 'condition' | 'action';

export interface FlowCardDef {
  id: string;
  type: FlowCardType;
  /** Driver id when the card comes from `drivers/<id>/driver.flow.compose.json`. */
  driverId?: string;
  args: FlowArgDef[];
  tokens: FlowTokenDef[];
  [key: string]: unknown;
}

/** The repository root: default app root for the stand-in. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

const SYSTEM_CAPS_DIR = path.join(REPO_ROOT, 'node_modules', 'homey-lib', 'assets', 'capability', 'capabilities');

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`homey stand-in: cannot read ${file}: ${(err as Error).message}`);
  }
}

function readJsonIfExists(file: string): unknown {
  return fs.existsSync(file) ? readJson(file) : undefined;
}

function jsonFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
}

let systemCaps: Map<string, CapabilityDef> | undefined;

function loadSystemCapabilities(): Map<string, CapabilityDef> {
  if (!systemCaps) {
    systemCaps = new Map();
    for (const f of jsonFiles(SYSTEM_CAPS_DIR)) {
      systemCaps.set(f.slice(0, -5), readJson(path.join(SYSTEM_CAPS_DIR, f)) as CapabilityDef);
    }
  }
  return systemCaps;
}

/** Everything the stand-in knows about one app folder. */
export class AppManifest {
  readonly root: string;
  private caps?: Map<string, CapabilityDef>;
  private cards?: Map<string, FlowCardDef>;
  private readonly locales = new Map<string, Record<string, unknown>>();
  private readonly drivers = new Map<string, Record<string, unknown> | undefined>();

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  /** `.homeycompose/app.json` (or a built `app.json`), `{}` when neither exists. */
  app(): Record<string, unknown> {
    const compose = readJsonIfExists(path.join(this.root, '.homeycompose', 'app.json'));
    const built = compose ?? readJsonIfExists(path.join(this.root, 'app.json'));
    return (built as Record<string, unknown>) ?? {};
  }

  /** Definition of a capability id (sub-capabilities like `measure_power.phase1` use the base definition). */
  capability(id: string): CapabilityDef | undefined {
    if (!this.caps) {
      this.caps = new Map(loadSystemCapabilities());
      const dir = path.join(this.root, '.homeycompose', 'capabilities');
      for (const f of jsonFiles(dir)) this.caps.set(f.slice(0, -5), readJson(path.join(dir, f)) as CapabilityDef);
    }
    return this.caps.get(id.split('.')[0]);
  }

  /** `drivers/<id>/driver.compose.json` (settings from driver.settings.compose.json when present), undefined when absent. */
  driver(id: string): Record<string, unknown> | undefined {
    if (!this.drivers.has(id)) {
      const dir = path.join(this.root, 'drivers', id);
      const m = readJsonIfExists(path.join(dir, 'driver.compose.json')) as Record<string, unknown> | undefined;
      const settings = readJsonIfExists(path.join(dir, 'driver.settings.compose.json'));
      this.drivers.set(id, m ? { id, ...m, ...(settings ? { settings } : {}) } : undefined);
    }
    return this.drivers.get(id);
  }

  /** All declared flow cards, keyed `<type>:<id>` (an id may be reused across types, not within one). */
  flowCards(): Map<string, FlowCardDef> {
    if (this.cards) return this.cards;
    const cards = new Map<string, FlowCardDef>();
    const add = (raw: Record<string, unknown>, type: FlowCardType, where: string, driverId?: string): void => {
      const id = String(raw.id);
      if (cards.has(`${type}:${id}`)) throw new Error(`homey stand-in: ${type} card id "${id}" declared twice (${where})`);
      const args = Array.isArray(raw.args) ? [...(raw.args as FlowArgDef[])] : [];
      if (driverId && !args.some((a) => a.type === 'device')) {
        args.unshift({ name: 'device', type: 'device', filter: `driver_id=${driverId}` });
      }
      const tokens = Array.isArray(raw.tokens) ? (raw.tokens as FlowTokenDef[]) : [];
      cards.set(`${type}:${id}`, { ...raw, id, type, driverId, args, tokens });
    };
    const kinds: Array<[string, FlowCardType]> = [['triggers', 'trigger'], ['conditions', 'condition'], ['actions', 'action']];
    for (const [folder, type] of kinds) {
      const dir = path.join(this.root, '.homeycompose', 'flow', folder);
      for (const f of jsonFiles(dir)) {
        const raw = readJson(path.join(dir, f)) as Record<string, unknown>;
        add({ id: f.slice(0, -5), ...raw }, type, path.join(dir, f));
      }
    }
    const driversDir = path.join(this.root, 'drivers');
    const driverIds = fs.existsSync(driversDir) ? fs.readdirSync(driversDir).sort() : [];
    for (const driverId of driverIds) {
      const file = path.join(driversDir, driverId, 'driver.flow.compose.json');
      const raw = readJsonIfExists(file) as Record<string, unknown[]> | undefined;
      if (!raw) continue;
      for (const [folder, type] of kinds) {
        for (const card of (raw[folder] ?? []) as Array<Record<string, unknown>>) add(card, type, file, driverId);
      }
    }
    this.cards = cards;
    return cards;
  }

  /** The declared card of this type and id, undefined when none. */
  flowCard(type: FlowCardType, id: string): FlowCardDef | undefined {
    return this.flowCards().get(`${type}:${id}`);
  }

  /** Discovery strategies by id: `.homeycompose/discovery/<id>.json`, else the built app.json's "discovery". */
  discovery(): Record<string, unknown> {
    const dir = path.join(this.root, '.homeycompose', 'discovery');
    if (fs.existsSync(dir)) return Object.fromEntries(jsonFiles(dir).map((f) => [f.slice(0, -5), readJson(path.join(dir, f))]));
    const built = readJsonIfExists(path.join(this.root, 'app.json')) as { discovery?: Record<string, unknown> } | undefined;
    return built?.discovery ?? {};
  }

  /** `locales/<lang>.json`, `{}` when absent. */
  locale(lang: string): Record<string, unknown> {
    if (!this.locales.has(lang)) {
      const data = readJsonIfExists(path.join(this.root, 'locales', `${lang}.json`)) as Record<string, unknown> | undefined;
      this.locales.set(lang, data ?? {});
    }
    return this.locales.get(lang)!;
  }
}

export interface SettingDef {
  id: string;
  type: string;
  value?: unknown;
  min?: number;
  max?: number;
  values?: Array<{ id: string }>;
  [key: string]: unknown;
}

/** Device settings declared by a driver manifest (groups flattened), undefined when it declares none. */
export function declaredSettings(driverManifest: Record<string, unknown>): Map<string, SettingDef> | undefined {
  if (!Array.isArray(driverManifest.settings)) return undefined;
  const out = new Map<string, SettingDef>();
  const walk = (items: unknown[]): void => {
    for (const s of items as Array<Record<string, unknown>>) {
      if (Array.isArray(s.children)) walk(s.children);
      else if (typeof s.id === 'string') out.set(s.id, s as SettingDef);
    }
  };
  walk(driverManifest.settings);
  return out;
}

/** Why `value` is not acceptable for a declared setting (the settings dialog enforces this), or undefined. */
export function settingProblem(def: SettingDef, value: unknown): string | undefined {
  const got = JSON.stringify(value) ?? String(value);
  switch (def.type) {
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return `expected a number, got ${got}`;
      if (def.min !== undefined && value < def.min) return `expected at least ${def.min}, got ${got}`;
      if (def.max !== undefined && value > def.max) return `expected at most ${def.max}, got ${got}`;
      return undefined;
    case 'checkbox':
      return typeof value === 'boolean' ? undefined : `expected a boolean, got ${got}`;
    case 'dropdown':
    case 'radio': {
      const ids = (def.values ?? []).map((v) => v.id);
      return ids.includes(value as string) ? undefined : `expected one of ${ids.join(', ')}, got ${got}`;
    }
    case 'label':
      return 'is a read-only label';
    default:
      return typeof value === 'string' ? undefined : `expected a string, got ${got}`;
  }
}
