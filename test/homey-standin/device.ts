/**
 * Stand-in for Homey.Device (SDK v3, see @types/homey/lib/Device.d.ts): capabilities checked against the manifest,
 * store and settings kept as JSON, plus inspection helpers (capabilityHistory, unavailableMessage, warning).
 */
import { constructing, jsonClone, requireHomey, SimpleClass } from './base';
import type { Driver } from './driver';
import type { StandinHomey } from './homey';
import { declaredSettings, settingProblem } from './manifest';
import type { CapabilityDef } from './manifest';

type Listener = (value: any, opts: any) => unknown;
type MultiListener = (values: Record<string, any>, opts: Record<string, any>) => unknown;

export interface DeviceProps {
  driver: Driver;
  name: string;
  data: Record<string, unknown>;
  store: Record<string, unknown>;
  settings: Record<string, unknown>;
  capabilities: string[];
  capabilitiesOptions: Record<string, Record<string, unknown>>;
  deviceClass?: string;
  energy?: Record<string, unknown>;
}

export class Device extends SimpleClass {
  homey: StandinHomey;
  driver: Driver;

  /** Stand-in inspection: message passed to the last setUnavailable (null while available). */
  unavailableMessage: string | null = null;
  /** Stand-in inspection: current warning (null when none). */
  warning: string | null = null;
  /** Stand-in inspection: every successful setCapabilityValue, in order. */
  readonly capabilityHistory: Array<{ capabilityId: string; value: unknown }> = [];
  /** Stand-in inspection: set by deleteDevice()/restartDevice(); writes to a gone instance fail like on Homey. */
  deleted = false;

  private __name: string;
  private readonly __data: Record<string, unknown>;
  private __store: Record<string, unknown>;
  private __settings: Record<string, unknown>;
  private readonly __caps: string[];
  private readonly __values = new Map<string, unknown>();
  private readonly __capOptions: Record<string, Record<string, unknown>>;
  private readonly __listeners = new Map<string, Listener>();
  private readonly __multiListeners: Array<{ ids: string[]; fn: MultiListener }> = [];
  private __available = true;
  private __class: string;
  private __energy: Record<string, unknown>;

  constructor(...args: unknown[]) {
    super(...args);
    this.homey = requireHomey(this.__homey, 'a Device');
    const props = constructing()?.device;
    if (!props) throw new Error('homey stand-in: construct devices with addDevice()');
    this.driver = props.driver;
    this.__name = props.name;
    this.__data = jsonClone(props.data, 'device data');
    this.__store = jsonClone(props.store, 'device store');
    this.__settings = jsonClone(props.settings, 'device settings');
    this.__capOptions = jsonClone(props.capabilitiesOptions, 'capabilitiesOptions');
    this.__class = props.deviceClass ?? 'other';
    this.__energy = jsonClone(props.energy ?? {}, 'energy');
    this.__caps = [];
    for (const id of props.capabilities) {
      this.__capabilityDef(id);
      if (!this.__caps.includes(id)) this.__caps.push(id);
    }
  }

  protected override __logSource(): string {
    return `Device:${this.__name}`;
  }

  private __assertAlive(what: string): void {
    if (this.deleted) throw new Error(`${what}: device "${this.__name}" was deleted or destroyed (Not Found)`);
  }

  private __capabilityDef(id: string): CapabilityDef {
    if (typeof id !== 'string' || id === '') throw new Error(`Invalid capability id: ${String(id)}`);
    const def = this.homey.appManifest.capability(id);
    if (!def) throw new Error(`Invalid Capability: ${id} (neither a system capability nor in .homeycompose/capabilities)`);
    return def;
  }

  private __assertHas(id: string): CapabilityDef {
    const def = this.__capabilityDef(id);
    if (!this.__caps.includes(id)) throw new Error(`Invalid Capability: ${id} (device "${this.__name}" does not have it)`);
    return def;
  }

  private __checkValue(id: string, def: CapabilityDef, value: unknown): void {
    if (value === null) return;
    const bad = (expected: string): never => {
      throw new Error(`Invalid value for capability ${id}: expected ${expected}, got ${JSON.stringify(value) ?? String(value)}`);
    };
    switch (def.type) {
      case 'number':
        if (typeof value !== 'number' || !Number.isFinite(value)) bad('a finite number');
        break;
      case 'boolean':
        if (typeof value !== 'boolean') bad('a boolean');
        break;
      case 'string':
        if (typeof value !== 'string') bad('a string');
        break;
      case 'enum': {
        const values = (this.__capOptions[id]?.values as CapabilityDef['values']) ?? def.values ?? [];
        if (!values.some((v) => v.id === value)) bad(`one of ${values.map((v) => v.id).join(', ')}`);
        break;
      }
      default:
        break;
    }
  }

  private __assertMessage(what: string, message: unknown): void {
    if (message !== undefined && message !== null && typeof message !== 'string') {
      throw new Error(`${what}: message must be a string (pass describeError(err), not the error object)`);
    }
  }

  getAppId(): string {
    return String(this.homey.manifest.id ?? 'standin.app');
  }

  async ready(): Promise<void> {}

  getDriver(): Driver {
    return this.driver;
  }

  getData(): any {
    return jsonClone(this.__data, 'device data');
  }

  getName(): string {
    return this.__name;
  }

  getClass(): string {
    return this.__class;
  }

  async setClass(deviceClass: string): Promise<void> {
    this.__class = deviceClass;
  }

  getState(): Record<string, unknown> {
    return Object.fromEntries(this.__caps.map((c) => [c, this.__values.get(c) ?? null]));
  }

  // --- availability and warnings ---
  getAvailable(): boolean {
    return this.__available;
  }

  async setAvailable(): Promise<void> {
    this.__assertAlive('setAvailable');
    this.__available = true;
    this.unavailableMessage = null;
  }

  async setUnavailable(message?: string | null): Promise<void> {
    this.__assertAlive('setUnavailable');
    this.__assertMessage('setUnavailable', message);
    this.__available = false;
    this.unavailableMessage = message ?? '';
  }

  async setWarning(message?: string | null): Promise<void> {
    this.__assertAlive('setWarning');
    this.__assertMessage('setWarning', message);
    this.warning = message ?? null;
  }

  async unsetWarning(): Promise<void> {
    this.warning = null;
  }

  // --- capabilities ---
  getCapabilities(): string[] {
    return [...this.__caps];
  }

  hasCapability(capabilityId: string): boolean {
    return this.__caps.includes(capabilityId);
  }

  async addCapability(capabilityId: string): Promise<void> {
    this.__assertAlive('addCapability');
    this.__capabilityDef(capabilityId);
    if (!this.__caps.includes(capabilityId)) this.__caps.push(capabilityId);
  }

  async removeCapability(capabilityId: string): Promise<void> {
    this.__assertAlive('removeCapability');
    const i = this.__caps.indexOf(capabilityId);
    if (i >= 0) this.__caps.splice(i, 1);
    this.__values.delete(capabilityId);
    this.__listeners.delete(capabilityId);
  }

  getCapabilityValue(capabilityId: string): any {
    this.__assertHas(capabilityId);
    return this.__values.has(capabilityId) ? this.__values.get(capabilityId) : null;
  }

  async setCapabilityValue(capabilityId: string, value: unknown): Promise<void> {
    this.__assertAlive(`setCapabilityValue(${capabilityId})`);
    const def = this.__assertHas(capabilityId);
    this.__checkValue(capabilityId, def, value);
    this.__values.set(capabilityId, value);
    this.capabilityHistory.push({ capabilityId, value });
  }

  getCapabilityOptions(capabilityId: string): any {
    this.__assertHas(capabilityId);
    return jsonClone(this.__capOptions[capabilityId] ?? {}, 'capability options');
  }

  async setCapabilityOptions(capabilityId: string, options: object): Promise<void> {
    this.__assertAlive('setCapabilityOptions');
    this.__assertHas(capabilityId);
    if (!options || typeof options !== 'object') throw new Error(`setCapabilityOptions(${capabilityId}): options must be an object`);
    this.__capOptions[capabilityId] = { ...(this.__capOptions[capabilityId] ?? {}), ...jsonClone(options, 'capability options') };
  }

  registerCapabilityListener(capabilityId: string, listener: Listener): void {
    this.__assertHas(capabilityId);
    if (typeof listener !== 'function') throw new Error(`registerCapabilityListener(${capabilityId}): listener must be a function`);
    this.__listeners.set(capabilityId, listener);
  }

  registerMultipleCapabilityListener(capabilityIds: string[], listener: MultiListener, _timeout?: number): void {
    for (const id of capabilityIds) this.__assertHas(id);
    this.__multiListeners.push({ ids: [...capabilityIds], fn: listener });
  }

  /**
   * Simulate the user changing a capability in the Homey UI (or a Flow's "set" card): checks the capability is setable
   * and the value valid, runs the registered listener, then stores the value (Homey only does so when it resolves).
   */
  async triggerCapabilityListener(capabilityId: string, value: unknown, opts: object = {}): Promise<unknown> {
    return this.triggerCapabilityListeners({ [capabilityId]: value }, { [capabilityId]: opts });
  }

  /** Stand-in helper: several capabilities changed at once (what a multiple-capability listener sees after its debounce). */
  async triggerCapabilityListeners(values: Record<string, unknown>, opts: Record<string, object> = {}): Promise<unknown> {
    this.__assertAlive('triggerCapabilityListener');
    const ids = Object.keys(values);
    for (const id of ids) {
      const def = this.__assertHas(id);
      const setable = this.__capOptions[id]?.setable ?? def.setable ?? true;
      if (setable === false) throw new Error(`Capability ${id} is not setable: a user cannot change it`);
      this.__checkValue(id, def, values[id]);
    }
    let result: unknown;
    const handled = new Set<string>();
    for (const group of this.__multiListeners) {
      const mine = ids.filter((id) => group.ids.includes(id) && !handled.has(id));
      if (mine.length === 0) continue;
      mine.forEach((id) => handled.add(id));
      result = await group.fn(
        Object.fromEntries(mine.map((id) => [id, values[id]])),
        Object.fromEntries(mine.map((id) => [id, opts[id] ?? {}])),
      );
    }
    for (const id of ids) {
      if (handled.has(id)) continue;
      const fn = this.__listeners.get(id);
      if (!fn) throw new Error(`Missing Capability Listener: ${id}`);
      result = await fn(values[id], opts[id] ?? {});
    }
    for (const id of ids) {
      this.__values.set(id, values[id]);
      this.capabilityHistory.push({ capabilityId: id, value: values[id] });
    }
    return result;
  }

  // --- energy ---
  getEnergy(): any {
    return jsonClone(this.__energy, 'energy');
  }

  async setEnergy(energy: object): Promise<void> {
    this.__energy = jsonClone({ ...energy }, 'energy');
  }

  // --- store ---
  getStore(): any {
    return jsonClone(this.__store, 'device store');
  }

  getStoreKeys(): string[] {
    return Object.keys(this.__store);
  }

  getStoreValue(key: string): any {
    return jsonClone(this.__store[key], `store ${key}`) ?? null;
  }

  async setStoreValue(key: string, value: unknown): Promise<void> {
    this.__assertAlive('setStoreValue');
    this.__store[key] = jsonClone(value, `store ${key}`);
  }

  async unsetStoreValue(key: string): Promise<void> {
    this.__assertAlive('unsetStoreValue');
    delete this.__store[key];
  }

  // --- settings ---
  getSettings(): any {
    return jsonClone(this.__settings, 'device settings');
  }

  getSetting(key: string): any {
    return jsonClone(this.__settings[key], `setting ${key}`) ?? null;
  }

  /** App code changing settings: does not call onSettings (like Homey). */
  async setSettings(settings: Record<string, unknown>): Promise<void> {
    this.__assertAlive('setSettings');
    this.__settings = { ...this.__settings, ...jsonClone(settings, 'device settings') };
  }

  /**
   * Stand-in helper: the user saves the device settings dialog. Calls onSettings with old/new/changedKeys; when
   * onSettings throws, the promise rejects and the old settings stay. Resolves with onSettings' return value (a
   * message Homey would show).
   */
  async userSaveSettings(changes: Record<string, unknown>): Promise<string | void> {
    this.__assertAlive('userSaveSettings');
    const declared = declaredSettings(this.driver.manifest);
    if (declared) {
      for (const [key, value] of Object.entries(changes)) {
        const def = declared.get(key);
        if (!def) throw new Error(`Setting "${key}" is not declared in the manifest of driver ${this.driver.id}`);
        const problem = settingProblem(def, value);
        if (problem) throw new Error(`Setting "${key}": ${problem} (the settings dialog would not accept it)`);
      }
    }
    const oldSettings = this.getSettings();
    const newSettings = { ...oldSettings, ...jsonClone(changes, 'device settings') };
    const changedKeys = Object.keys(changes).filter((k) => JSON.stringify(oldSettings[k]) !== JSON.stringify(newSettings[k]));
    const result = await this.onSettings({ oldSettings, newSettings: jsonClone(newSettings, 'device settings'), changedKeys });
    this.__settings = newSettings;
    return result;
  }

  /** @internal used by the harness */
  __rename(name: string): void {
    this.__name = name;
  }

  /** @internal what Homey persists about the device, to construct it again after a restart */
  __persisted(): { props: DeviceProps; values: Map<string, unknown> } {
    return {
      props: {
        driver: this.driver,
        name: this.__name,
        data: this.__data,
        store: this.__store,
        settings: this.__settings,
        capabilities: [...this.__caps],
        capabilitiesOptions: this.__capOptions,
        deviceClass: this.__class,
        energy: this.__energy,
      },
      values: new Map(this.__values),
    };
  }

  /** @internal */
  __restoreValues(values: Map<string, unknown>): void {
    for (const [k, v] of values) this.__values.set(k, v);
  }

  async setAlbumArtImage(_image: unknown): Promise<void> {}
  async setCameraImage(_id: string, _title: string, _image: unknown): Promise<void> {}
  destroy(): void {}

  // --- lifecycle (override in the app) ---
  async onInit(): Promise<void> {}
  async onAdded(): Promise<void> {}
  async onSettings(_event: { oldSettings: any; newSettings: any; changedKeys: string[] }): Promise<string | void> {}
  async onRenamed(_name: string): Promise<void> {}
  async onDeleted(): Promise<void> {}
  async onUninit(): Promise<void> {}
}
