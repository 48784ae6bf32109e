/**
 * `homey.discovery` (SDK v3 ManagerDiscovery, DiscoveryStrategy, DiscoveryResultMDNSSD): the app's strategies come
 * from `.homeycompose/discovery/<id>.json` (or the built app.json's "discovery"); instead of the network, tests
 * announce mDNS services with `homey.discovery.announceMdns(...)` and take them away with `removeResult(...)`.
 *
 * Modelled after the Homey docs (apps.developer.homey.app "Discovery"): a strategy only sees services of its
 * `mdns-sd` name and protocol that pass its `conditions` (OR of AND-lists, `string` = equal, `regex`), the result id
 * is the strategy's `id` template (`{{txt.serial}}`) filled from the result, TXT keys are lowercased, `result` fires
 * for a new result, `addressChanged` / `lastSeenChanged` on a result seen again. Stand-in assumptions (not verified
 * against Homey): TXT values are kept as announced (the docs say "(lowercased) TXT values", so compare values
 * case-insensitively in app code); an announcement whose id template comes out empty is not recorded; SSDP and MAC
 * strategies exist but never get results.
 */
import { EventEmitter } from 'events';
import type { AppManifest } from './manifest';

/** What a device on the network announces (test side). */
export interface MdnsAnnouncement {
  /** Service type, e.g. `_hwenergy._tcp`. */
  service: string;
  /** Instance name, e.g. `p1meter-aabbcc`. */
  name: string;
  /** Host name; default `<name>.local`. */
  host?: string;
  /** IP address; may be left out to model a broken answer. */
  address?: string;
  port?: number;
  txt?: Record<string, string>;
}

interface ConditionRule {
  field: string;
  match: { type: 'string' | 'regex'; value: string };
}

interface StrategyDef {
  type: string;
  id?: string;
  conditions?: ConditionRule[][];
  'mdns-sd'?: { name: string; protocol: string };
}

export class DiscoveryResultMDNSSD extends EventEmitter {
  id: string;
  lastSeen: Date;
  address: string | undefined;
  port: number | undefined;
  txt: Record<string, string>;
  name: string;
  fullname: string;
  host: string;

  constructor(id: string, a: MdnsAnnouncement, txt: Record<string, string>, now: Date) {
    super();
    this.id = id;
    this.lastSeen = now;
    this.address = a.address;
    this.port = a.port;
    this.txt = txt;
    this.name = a.name;
    this.fullname = `${a.name}.${a.service}.local`;
    this.host = a.host ?? `${a.name}.local`;
  }
}

const lowerKeys = (txt: Record<string, string> | undefined): Record<string, string> =>
  Object.fromEntries(Object.entries(txt ?? {}).map(([k, v]) => [k.toLowerCase(), v]));

function valueAt(obj: unknown, fieldPath: string): unknown {
  let node = obj;
  for (const part of fieldPath.split('.')) {
    if (!node || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

export class DiscoveryStrategy extends EventEmitter {
  readonly id: string;
  readonly type: string;
  private readonly def: StrategyDef;
  private readonly results = new Map<string, DiscoveryResultMDNSSD>();

  constructor(id: string, def: StrategyDef) {
    super();
    this.id = id;
    this.def = def;
    this.type = def.type;
  }

  getDiscoveryResults(): Record<string, DiscoveryResultMDNSSD> {
    return Object.fromEntries(this.results);
  }

  getDiscoveryResult(id: string): DiscoveryResultMDNSSD {
    const r = this.results.get(id);
    if (!r) throw new Error(`homey stand-in: discovery strategy ${this.id} has no result "${id}"`);
    return r;
  }

  private matches(a: MdnsAnnouncement, candidate: DiscoveryResultMDNSSD): boolean {
    const mdns = this.def['mdns-sd'];
    if (this.def.type !== 'mdns-sd' || !mdns) return false;
    if (a.service.toLowerCase() !== `_${mdns.name}._${mdns.protocol}`.toLowerCase()) return false;
    const conditions = this.def.conditions ?? [];
    if (conditions.length === 0) return true;
    return conditions.some((all) => all.every((rule) => {
      const value = valueAt(candidate, rule.field);
      if (typeof value !== 'string') return false;
      if (rule.match.type === 'string') return value === rule.match.value;
      if (rule.match.type === 'regex') return new RegExp(rule.match.value).test(value);
      throw new Error(`homey stand-in: discovery ${this.id}: unknown match type ${String(rule.match.type)}`);
    }));
  }

  /** @internal Record an announcement when it is for this strategy; true when it was. */
  __announce(a: MdnsAnnouncement, now: Date): boolean {
    const txt = lowerKeys(a.txt);
    const candidate = new DiscoveryResultMDNSSD('', a, txt, now);
    if (!this.matches(a, candidate)) return false;
    const id = (this.def.id ?? '{{name}}').replace(/\{\{\s*([\w.]+)\s*\}\}/g, (_, p: string) => {
      const v = valueAt(candidate, p);
      return v === undefined || v === null ? '' : String(v);
    });
    if (id === '') return false;
    const known = this.results.get(id);
    if (!known) {
      candidate.id = id;
      this.results.set(id, candidate);
      this.emit('result', candidate);
      return true;
    }
    const moved = known.address !== a.address;
    Object.assign(known, { address: a.address, port: a.port, txt, name: candidate.name, fullname: candidate.fullname, host: candidate.host, lastSeen: now });
    if (moved) known.emit('addressChanged', known);
    known.emit('lastSeenChanged', known);
    return true;
  }

  /** @internal */
  __remove(id: string): boolean {
    return this.results.delete(id);
  }
}

export class ManagerDiscovery {
  private strategies?: Map<string, DiscoveryStrategy>;

  constructor(private readonly manifest: AppManifest, private readonly now: () => number) {}

  private all(): Map<string, DiscoveryStrategy> {
    if (!this.strategies) {
      this.strategies = new Map(Object.entries(this.manifest.discovery()).map(([id, def]) => [id, new DiscoveryStrategy(id, def as StrategyDef)]));
    }
    return this.strategies;
  }

  /** The strategy declared as `.homeycompose/discovery/<id>.json`; throws for any other id. */
  getStrategy(strategyId: string): DiscoveryStrategy {
    const s = this.all().get(strategyId);
    if (!s) throw new Error(`homey stand-in: no discovery strategy "${strategyId}" in the app manifest (.homeycompose/discovery/${strategyId}.json)`);
    return s;
  }

  /**
   * Stand-in helper: a device on the network announces an mDNS service (again). Every mDNS-SD strategy of that
   * service whose conditions match records it. Returns the ids of the strategies that did.
   */
  announceMdns(announcement: MdnsAnnouncement): string[] {
    const now = new Date(this.now());
    return [...this.all().values()].filter((s) => s.__announce(announcement, now)).map((s) => s.id);
  }

  /** Stand-in helper: the result is gone (the device left the network); throws when there was none. */
  removeResult(strategyId: string, resultId: string): void {
    if (!this.getStrategy(strategyId).__remove(resultId)) {
      throw new Error(`homey stand-in: discovery strategy ${strategyId} has no result "${resultId}"`);
    }
  }
}
