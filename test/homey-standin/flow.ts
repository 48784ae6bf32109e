/**
 * homey.flow: flow cards checked against the app's declared cards (ids, argument names/types, trigger tokens), with
 * helpers to play the part of Homey's Flow engine: run an action/condition with args, ask an autocomplete, and
 * simulate user Flows on a trigger card whose run listener filters per Flow args and trigger state.
 */
import { EventEmitter } from 'events';
import { Device, jsonClone } from './classes';
import type { StandinHomey } from './homey';
import type { FlowArgDef, FlowCardDef, FlowCardType } from './manifest';

type RunListener = (args: any, state: any) => unknown;
type AutocompleteListener = (query: string, args: any) => unknown;

export interface TriggerRecord {
  cardId: string;
  device?: Device;
  tokens: Record<string, unknown>;
  state: Record<string, unknown>;
  time: number;
  /** The simulated user Flows (see addUserFlow) whose run listener accepted this trigger. */
  firedFlows: UserFlow[];
}

export interface UserFlow {
  cardId: string;
  args: Record<string, unknown>;
  /** Tokens of every trigger this Flow accepted. */
  runs: Array<Record<string, unknown>>;
}

function fail(card: string, msg: string): never {
  throw new Error(`Flow card ${card}: ${msg}`);
}

/** The action cards homey-lib defines for a (system) capability: `$flow.actions` of its definition. */
function capabilityActions(homey: StandinHomey, capabilityId: string): Array<{ id: string; args?: unknown[] }> {
  const def = homey.appManifest.capability(capabilityId) as { $flow?: { actions?: Array<{ id: string; args?: unknown[] }> } } | undefined;
  return capabilityId.includes('.') ? [] : (def?.$flow?.actions ?? []);
}

function describe(v: unknown): string {
  if (v instanceof Device) return `device "${v.getName()}"`;
  return JSON.stringify(v) ?? String(v);
}

export class FlowArgument {
  constructor(private readonly card: FlowCard, readonly name: string) {}

  registerAutocompleteListener(listener: AutocompleteListener): FlowArgument {
    this.card.registerArgumentAutocompleteListener(this.name, listener);
    return this;
  }
}

export class FlowCard extends EventEmitter {
  readonly id: string;
  readonly type: FlowCardType;
  /** The declared card JSON (undefined for an undeclared card when strictFlowCards is off). */
  readonly manifest?: FlowCardDef;
  /** @internal */ __runListener?: RunListener;
  /** @internal */ readonly __autocomplete = new Map<string, AutocompleteListener>();

  constructor(id: string, type: FlowCardType, manifest: FlowCardDef | undefined) {
    super();
    this.id = id;
    this.type = type;
    this.manifest = manifest;
  }

  registerRunListener(listener: RunListener): this {
    if (typeof listener !== 'function') fail(this.id, 'run listener must be a function');
    this.__runListener = listener;
    return this;
  }

  registerArgumentAutocompleteListener(name: string, listener: AutocompleteListener): this {
    const arg = this.__argDef(name);
    if (arg && arg.type !== 'autocomplete') fail(this.id, `argument "${name}" is of type ${arg.type}, not autocomplete`);
    if (typeof listener !== 'function') fail(this.id, 'autocomplete listener must be a function');
    this.__autocomplete.set(name, listener);
    return this;
  }

  getArgument(name: string): FlowArgument {
    this.__argDef(name);
    return new FlowArgument(this, name);
  }

  /** @internal */
  __argDef(name: string): FlowArgDef | undefined {
    if (!this.manifest) return undefined;
    const arg = this.manifest.args.find((a) => a.name === name);
    if (!arg) fail(this.id, `has no argument "${name}" (declared: ${this.manifest.args.map((a) => a.name).join(', ') || 'none'})`);
    return arg;
  }

  /** @internal Check args the way a Flow would supply them. */
  __checkArgs(args: Record<string, unknown>): void {
    if (!this.manifest) return;
    if (!args || typeof args !== 'object') fail(this.id, 'args must be an object');
    const declared = this.manifest.args;
    for (const key of Object.keys(args)) {
      if (!declared.some((a) => a.name === key)) fail(this.id, `unknown argument "${key}"`);
    }
    for (const def of declared) {
      const v = args[def.name];
      if (v === undefined || v === null || v === '') {
        if (def.required === false) continue;
        fail(this.id, `argument "${def.name}" is required`);
      }
      const bad = (expected: string): never => fail(this.id, `argument "${def.name}" expects ${expected}, got ${describe(v)}`);
      switch (def.type) {
        case 'number':
        case 'range':
          if (typeof v !== 'number' || !Number.isFinite(v)) bad('a number');
          if (def.min !== undefined && (v as number) < def.min) bad(`a number >= ${def.min}`);
          if (def.max !== undefined && (v as number) > def.max) bad(`a number <= ${def.max}`);
          break;
        case 'dropdown':
          if (!(def.values ?? []).some((o) => o.id === v)) bad(`one of ${(def.values ?? []).map((o) => o.id).join(', ')}`);
          break;
        case 'checkbox':
          if (typeof v !== 'boolean') bad('a boolean');
          break;
        case 'autocomplete':
          if (!v || typeof v !== 'object' || typeof (v as { name?: unknown }).name !== 'string') bad('an autocomplete result { name, … }');
          break;
        case 'device': {
          if (!(v instanceof Device)) bad('a device');
          const want = /driver_id=([^&|]+)/.exec(String(def.filter ?? ''))?.[1];
          if (want && !want.split('|').includes((v as Device).driver.id)) bad(`a device of driver ${want}`);
          break;
        }
        case 'multiselect':
          if (!Array.isArray(v)) bad('an array');
          break;
        default:
          if (typeof v !== 'string') bad('a string');
      }
    }
  }

  /** @internal */
  async __run(args: Record<string, unknown>, state: Record<string, unknown>): Promise<unknown> {
    this.__checkArgs(args);
    if (!this.__runListener) fail(this.id, 'no run listener registered');
    return this.__runListener(args, state);
  }
}

abstract class TriggerBase extends FlowCard {
  constructor(id: string, manifest: FlowCardDef | undefined, protected readonly flow: ManagerFlow) {
    super(id, 'trigger', manifest);
  }

  protected __checkTokens(tokens: Record<string, unknown>): void {
    if (tokens === null || typeof tokens !== 'object') fail(this.id, 'tokens must be an object');
    if (!this.manifest) return;
    const declared = this.manifest.tokens;
    const names = declared.map((t) => t.name);
    for (const key of Object.keys(tokens)) {
      if (!names.includes(key)) fail(this.id, `unknown token "${key}" (declared: ${names.join(', ') || 'none'})`);
    }
    for (const t of declared) {
      if (!(t.name in tokens) || tokens[t.name] === undefined) fail(this.id, `missing token "${t.name}"`);
      const v = tokens[t.name];
      if (v === null) continue;
      const ok = t.type === 'number' ? typeof v === 'number' && Number.isFinite(v)
        : t.type === 'image' ? typeof v === 'object'
          : typeof v === t.type;
      if (!ok) fail(this.id, `token "${t.name}" must be a ${t.type}, got ${describe(v)}`);
    }
  }

  protected async __fire(device: Device | undefined, tokens: Record<string, unknown> = {}, state: Record<string, unknown> = {}): Promise<void> {
    this.__checkTokens(tokens);
    const record: TriggerRecord = {
      cardId: this.id, device, tokens: jsonClone(tokens, 'tokens'), state, time: this.flow.homey.now(), firedFlows: [],
    };
    this.flow.triggered.push(record);
    for (const uf of this.flow.userFlows) {
      if (uf.cardId !== this.id) continue;
      if (device && uf.args.device !== device) continue;
      const accepted = this.__runListener ? await this.__run(uf.args, state) : true;
      if (accepted) {
        uf.runs.push(record.tokens);
        record.firedFlows.push(uf);
      }
    }
  }
}

export class FlowCardTrigger extends TriggerBase {
  async trigger(tokens?: Record<string, unknown>, state?: Record<string, unknown>): Promise<void> {
    await this.__fire(undefined, tokens, state);
  }

  async getArgumentValues(): Promise<any[]> {
    return this.flow.userFlows.filter((f) => f.cardId === this.id).map((f) => f.args);
  }
}

export class FlowCardTriggerDevice extends TriggerBase {
  async trigger(device: object, tokens?: Record<string, unknown>, state?: Record<string, unknown>): Promise<void> {
    if (!(device instanceof Device)) fail(this.id, `trigger(device, tokens, state): first argument must be a device, got ${describe(device)}`);
    const driverId = this.manifest?.driverId;
    if (driverId && device.driver.id !== driverId) fail(this.id, `belongs to driver ${driverId}, not ${device.driver.id}`);
    await this.__fire(device, tokens, state);
  }

  async getArgumentValues(device: object): Promise<any[]> {
    return this.flow.userFlows.filter((f) => f.cardId === this.id && f.args.device === device).map((f) => f.args);
  }
}

export class FlowCardCondition extends FlowCard {
  async getArgumentValues(): Promise<any[]> {
    return [];
  }
}

export class FlowCardAction extends FlowCard {
  async getArgumentValues(): Promise<any[]> {
    return [];
  }
}

export class FlowToken {
  private value: unknown;
  constructor(readonly id: string, readonly opts: { type: string; title: unknown; value?: unknown }) {
    this.value = opts.value ?? null;
  }

  async setValue(value: unknown): Promise<void> {
    const t = this.opts.type;
    if (value !== null && (t === 'number' ? typeof value !== 'number' || !Number.isFinite(value) : typeof value !== t)) {
      throw new Error(`Flow token ${this.id} (${t}): invalid value ${describe(value)}`);
    }
    this.value = value;
  }

  /** Stand-in inspection. */
  getValue(): unknown {
    return this.value;
  }

  async unregister(): Promise<void> {}
}

export class ManagerFlow {
  /** Stand-in inspection: every trigger() call in order. */
  readonly triggered: TriggerRecord[] = [];
  /** @internal simulated user Flows */
  readonly userFlows: UserFlow[] = [];
  private readonly cards = new Map<string, FlowCard>();
  private readonly tokens = new Map<string, FlowToken>();

  constructor(readonly homey: StandinHomey, private readonly strict: boolean) {}

  private card<T extends FlowCard>(id: string, type: FlowCardType, device: boolean, make: (def?: FlowCardDef) => T, getter: string): T {
    const key = `${getter}:${id}`;
    const cached = this.cards.get(key);
    if (cached) return cached as T;
    const def = this.homey.appManifest.flowCard(type, id);
    if (!def) {
      const other = (['trigger', 'condition', 'action'] as const).find((t) => this.homey.appManifest.flowCard(t, id));
      if (other) throw new Error(`Invalid Flow Card ID: ${id} is a ${other} card, not a ${type}`);
      if (this.strict) throw new Error(`Invalid Flow Card ID: ${id} (not declared in .homeycompose/flow or drivers/*/driver.flow.compose.json)`);
    } else {
      const isDevice = def.args.some((a) => a.type === 'device');
      if (type === 'trigger' && isDevice !== device) {
        throw new Error(`Flow card ${id}: ${isDevice ? 'is a device trigger, use getDeviceTriggerCard' : 'is an app trigger, use getTriggerCard'}`);
      }
    }
    const card = make(def);
    this.cards.set(key, card);
    return card;
  }

  getTriggerCard(id: string): FlowCardTrigger {
    return this.card(id, 'trigger', false, (d) => new FlowCardTrigger(id, d, this), 'trigger');
  }

  getDeviceTriggerCard(id: string): FlowCardTriggerDevice {
    return this.card(id, 'trigger', true, (d) => new FlowCardTriggerDevice(id, d, this), 'deviceTrigger');
  }

  getConditionCard(id: string): FlowCardCondition {
    return this.card(id, 'condition', false, (d) => new FlowCardCondition(id, 'condition', d), 'condition');
  }

  getActionCard(id: string): FlowCardAction {
    return this.card(id, 'action', false, (d) => new FlowCardAction(id, 'action', d), 'action');
  }

  async createToken(id: string, opts: { type: string; title: unknown; value?: unknown }): Promise<FlowToken> {
    if (this.tokens.has(id)) throw new Error(`Flow token already exists: ${id}`);
    const token = new FlowToken(id, opts);
    if (opts.value !== undefined) await token.setValue(opts.value);
    this.tokens.set(id, token);
    return token;
  }

  getToken(id: string): FlowToken {
    const t = this.tokens.get(id);
    if (!t) throw new Error(`Flow token not found: ${id}`);
    return t;
  }

  async unregisterToken(token: FlowToken): Promise<void> {
    this.tokens.delete(token.id);
  }

  // --- stand-in helpers: play Homey's Flow engine ---

  private registered(id: string, kinds: string[]): FlowCard {
    for (const k of kinds) {
      const c = this.cards.get(`${k}:${id}`);
      if (c) return c;
    }
    throw new Error(`Flow card ${id}: the app never asked for it (get*Card), so no listener is registered`);
  }

  /** Run an action card as a Flow would; resolves with the listener's result, rejects when it throws. */
  async runAction(id: string, args: Record<string, unknown> = {}): Promise<unknown> {
    return this.registered(id, ['action']).__run(args, {});
  }

  /**
   * Run an action card Homey makes from a system capability of a device (homey-lib's `$flow`, e.g. `target_power_set`)
   * as a Flow would: `args` are `device` and the card's own arguments, checked against the card; then the device's
   * capability listeners get the values (`triggerCapabilityListeners`, one batch). A card whose argument is named like
   * its capability sets that capability. `target_power_set` also sets `target_power_mode` to `homey` and, on a
   * device of class `evcharger`, `evcharger_charging` (on for a target above 0 W, off for 0 W), as its hint says.
   * Assumed, not checked against Homey: that Homey sends these in one batch, and what it does with a target inside
   * `excludeMin`…`excludeMax` (here: nothing special).
   */
  async runCapabilityAction(id: string, args: Record<string, unknown>): Promise<unknown> {
    const device = args.device;
    if (!(device instanceof Device)) fail(id, 'args.device must be a device');
    const found = device.getCapabilities()
      .map((cap) => ({ cap, card: capabilityActions(this.homey, cap).find((c) => c.id === id) }))
      .find((x) => x.card);
    if (!found?.card) fail(id, `is no action card of a capability of device "${device.getName()}" (${device.getCapabilities().join(', ')})`);
    // `"values": "$values"` stands for the capability's values (its capabilitiesOptions, else homey-lib's)
    const capValues = device.getCapabilityOptions(found.cap).values ?? (this.homey.appManifest.capability(found.cap)?.values ?? []);
    const cardArgs = ((found.card.args ?? []) as FlowArgDef[]).map((a) => (a.values === ('$values' as unknown) ? { ...a, values: capValues } : a));
    new FlowCard(id, 'action', { id, type: 'action', args: [{ name: 'device', type: 'device' }, ...cardArgs], tokens: [] }).__checkArgs(args);
    const values: Record<string, unknown> = {};
    for (const a of cardArgs) if (device.hasCapability(a.name)) values[a.name] = args[a.name];
    if (Object.keys(values).length === 0) fail(id, 'cards without an argument named like their capability are not modelled');
    if (id === 'target_power_set') {
      if (device.hasCapability('target_power_mode')) values.target_power_mode = 'homey';
      if (device.getClass() === 'evcharger' && device.hasCapability('evcharger_charging')) values.evcharger_charging = (values.target_power as number) > 0;
    }
    return device.triggerCapabilityListeners(values);
  }

  /** Run a condition card; resolves with its boolean verdict. */
  async runCondition(id: string, args: Record<string, unknown> = {}, state: Record<string, unknown> = {}): Promise<boolean> {
    return Boolean(await this.registered(id, ['condition']).__run(args, state));
  }

  /** Ask a trigger card's run listener whether a Flow with these args would fire for this state. */
  async runTriggerListener(id: string, args: Record<string, unknown>, state: Record<string, unknown> = {}): Promise<boolean> {
    const card = this.registered(id, ['trigger', 'deviceTrigger']);
    if (!card.__runListener) {
      card.__checkArgs(args);
      return true;
    }
    return Boolean(await card.__run(args, state));
  }

  /** Call an argument's autocomplete listener like the Flow editor does; checks the result shape. */
  async autocomplete(id: string, arg: string, query: string, args: Record<string, unknown> = {}): Promise<Array<{ name: string; [k: string]: unknown }>> {
    const card = this.registered(id, ['action', 'condition', 'trigger', 'deviceTrigger']);
    const fn = card.__autocomplete.get(arg);
    if (!fn) fail(id, `no autocomplete listener registered for argument "${arg}"`);
    const result = await fn(query, args);
    if (!Array.isArray(result) || result.some((r) => !r || typeof r.name !== 'string')) {
      fail(id, `autocomplete for "${arg}" must resolve to an array of { name: string, … }, got ${describe(result)}`);
    }
    return result;
  }

  /**
   * Simulate a user Flow that starts with trigger card `id` and these args (for device triggers include `device`).
   * Every later trigger() runs the card's run listener with these args and the trigger state; accepted tokens are
   * pushed to the returned object's `runs`.
   */
  addUserFlow(id: string, args: Record<string, unknown> = {}): UserFlow {
    const def = this.homey.appManifest.flowCard('trigger', id);
    if (!def && this.strict) throw new Error(`Invalid Flow Card ID: ${id} (no trigger card with this id is declared)`);
    const probe = new FlowCard(id, 'trigger', def);
    probe.__checkArgs(args);
    const uf: UserFlow = { cardId: id, args, runs: [] };
    this.userFlows.push(uf);
    return uf;
  }

  /** Recorded triggers of one card. */
  triggersOf(id: string): TriggerRecord[] {
    return this.triggered.filter((t) => t.cardId === id);
  }
}
