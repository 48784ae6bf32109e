/**
 * Test harness: start an app, drivers and devices on a stand-in Homey in the order Homey does, drive pairing and
 * settings the way a user would, and tear everything down (onUninit, timers) at the end of a test.
 */
import fs from 'fs';
import path from 'path';
import { App, constructWith, Device, Driver } from './classes';
import { CreateHomeyOptions, StandinHomey } from './homey';
import { declaredSettings } from './manifest';
import { PairSession } from './pair';

type Ctor<T> = new (...args: any[]) => T;

/** A started driver; the phantom field lets addDevice() infer the device class type. */
export type StartedDriver<D, V> = D & { readonly __standinDeviceType?: V };

export interface NewDevice {
  name: string;
  data: Record<string, unknown>;
  store?: Record<string, unknown>;
  settings?: Record<string, unknown>;
  /** Default: `capabilities` of drivers/<id>/driver.compose.json. */
  capabilities?: string[];
  capabilitiesOptions?: Record<string, Record<string, unknown>>;
  class?: string;
  energy?: Record<string, unknown>;
}

/** A fresh stand-in Homey. Options: appRoot (default repo root), language ('en'), strictFlowCards (true), env, now. */
export function createHomey(opts: CreateHomeyOptions = {}): StandinHomey {
  return new StandinHomey(opts);
}

function asDriver(d: unknown): Driver {
  if (!(d instanceof Driver)) throw new Error('expected a driver started with startDriver()');
  return d;
}

function asDevice(d: unknown): Device {
  if (!(d instanceof Device)) throw new Error('expected a device added with addDevice()');
  return d;
}

/** Construct the app on `homey` (becomes homey.app) and run its onInit. */
export async function startApp<A>(AppClass: Ctor<A>, homey: StandinHomey = createHomey()): Promise<A> {
  const app = constructWith(AppClass, { homey });
  if (!(app instanceof App)) throw new Error('startApp: the class does not extend Homey.App');
  homey.app = app;
  await app.onInit();
  return app as A;
}

/**
 * Construct a driver with id `id` (its manifest is drivers/<id>/driver.compose.json under the app root), register
 * it in homey.drivers and run onInit. Devices added later are instances of DeviceClass.
 */
export async function startDriver<D, V>(
  DriverClass: Ctor<D>,
  DeviceClass: Ctor<V>,
  opts: { homey: StandinHomey; id: string },
): Promise<StartedDriver<D, V>> {
  const { homey, id } = opts;
  if (!(homey instanceof StandinHomey)) throw new Error('startDriver: pass { homey: createHomey(), id }');
  if (homey.drivers.__drivers.has(id)) throw new Error(`startDriver: driver ${id} already started`);
  const driver = constructWith(DriverClass, { homey, driverId: id });
  if (!(driver instanceof Driver)) throw new Error('startDriver: the class does not extend Homey.Driver');
  if (!(DeviceClass.prototype instanceof Device) && (DeviceClass as unknown) !== Device) {
    throw new Error('startDriver: the device class does not extend Homey.Device');
  }
  driver.__DeviceClass = DeviceClass as unknown as Ctor<Device>;
  homey.drivers.__drivers.set(id, driver);
  await driver.onInit();
  return driver as StartedDriver<D, V>;
}

function settingDefaults(manifest: Record<string, unknown>): Record<string, unknown> {
  const defs = [...(declaredSettings(manifest)?.values() ?? [])];
  return Object.fromEntries(defs.filter((d) => d.value !== undefined).map((d) => [d.id, d.value]));
}

/**
 * Add a device as pairing would: construct it with the pairing object (capabilities, settings defaults and class
 * from the driver manifest unless given), run onInit, then onAdded. Rejects for duplicate data like Homey.
 */
export async function addDevice<V = Device>(driverArg: { readonly __standinDeviceType?: V } | object, props: NewDevice): Promise<V> {
  const driver = asDriver(driverArg);
  if (!props || typeof props.name !== 'string' || props.name.trim() === '') throw new Error('addDevice: name must be a non-empty string');
  if (!props.data || typeof props.data !== 'object' || Object.keys(props.data).length === 0) {
    throw new Error('addDevice: data must be a non-empty object (a stable unique id)');
  }
  if (driver.getDevices().some((d) => Driver.isEqualDeviceData(d.getData(), props.data))) {
    throw new Error(`addDevice: a device with data ${JSON.stringify(props.data)} already exists in driver ${driver.id}`);
  }
  const m = driver.manifest;
  const device = constructWith(driver.__DeviceClass ?? Device, {
    homey: driver.homey,
    device: {
      driver,
      name: props.name,
      data: props.data,
      store: props.store ?? {},
      settings: { ...settingDefaults(m), ...(props.settings ?? {}) },
      capabilities: props.capabilities ?? ((m.capabilities as string[] | undefined) ?? []),
      capabilitiesOptions: { ...((m.capabilitiesOptions as Record<string, Record<string, unknown>>) ?? {}), ...(props.capabilitiesOptions ?? {}) },
      deviceClass: props.class ?? (m.class as string | undefined),
      energy: props.energy ?? (m.energy as Record<string, unknown> | undefined),
    },
  });
  driver.__devices.push(device);
  await device.onInit();
  await device.onAdded();
  return device as unknown as V;
}

/** The user deletes the device: onDeleted, then onUninit; later calls on it reject. */
export async function deleteDevice(deviceArg: object): Promise<void> {
  const device = asDevice(deviceArg);
  const list = device.driver.__devices;
  const i = list.indexOf(device);
  if (i < 0) throw new Error(`deleteDevice: device "${device.getName()}" is not in its driver (deleted twice?)`);
  list.splice(i, 1);
  try {
    await device.onDeleted();
    await device.onUninit();
  } finally {
    device.deleted = true;
  }
}

/**
 * Homey restarts the app for this device: onUninit on the old instance (which then counts as destroyed), a new
 * instance of the driver's device class with the persisted name, data, store, settings, capabilities and capability
 * values, then onInit (no onAdded). Resolves with the new instance.
 */
export async function restartDevice<V>(deviceArg: V): Promise<V> {
  const old = asDevice(deviceArg);
  const driver = old.driver;
  const i = driver.__devices.indexOf(old);
  if (i < 0) throw new Error(`restartDevice: device "${old.getName()}" is not in its driver (deleted?)`);
  await old.onUninit();
  old.deleted = true;
  const { props, values } = old.__persisted();
  const fresh = constructWith(driver.__DeviceClass ?? Device, { homey: driver.homey, device: props });
  fresh.__restoreValues(values);
  driver.__devices[i] = fresh;
  await fresh.onInit();
  return fresh as unknown as V;
}

/** The user renames the device: the name changes, then onRenamed(name). */
export async function renameDevice(deviceArg: object, name: string): Promise<void> {
  const device = asDevice(deviceArg);
  device.__rename(name);
  await device.onRenamed(name);
}

/** The user saves the device settings dialog (see Device.userSaveSettings). */
export async function userSaveSettings(deviceArg: object, changes: Record<string, unknown>): Promise<string | void> {
  return asDevice(deviceArg).userSaveSettings(changes);
}

/** The stand-in view of a device (unavailableMessage, warning, capabilityHistory, triggerCapabilityListeners…). */
export function standin(deviceArg: object): Device {
  return asDevice(deviceArg);
}

/**
 * Every custom view (a step without `template`) of the driver's `pair` or `repair` list must exist as
 * drivers/<id>/<pair|repair>/<view>.html: Homey shows it from there. (`homey app validate` checks the pair views only.)
 */
function assertViews(driver: Driver, kind: 'pair' | 'repair'): void {
  const steps = (driver.manifest[kind] as { id?: unknown; template?: unknown }[] | undefined) ?? [];
  for (const step of steps) {
    if (step.template !== undefined || typeof step.id !== 'string') continue;
    const rel = path.join('drivers', driver.id, kind, `${step.id}.html`);
    if (!fs.existsSync(path.join(driver.homey.appManifest.root, rel))) {
      throw new Error(`homey stand-in: the ${kind} view ${rel} is missing (Homey shows custom ${kind} views from that folder)`);
    }
  }
}

function session(driver: Driver, device: Device | undefined, start: () => unknown): PairSession {
  assertViews(driver, device ? 'repair' : 'pair');
  const s = new PairSession(driver, device, (listed) => addDevice(driver, listed as NewDevice));
  s.__starting = Promise.resolve().then(start);
  s.__starting.catch(() => undefined); // surfaced by the first call()
  return s;
}

/** Open a pairing window: runs driver.onPair(session). call()s wait for onPair to finish. */
export function startPairSession(driverArg: object): PairSession {
  const driver = asDriver(driverArg);
  const s: PairSession = session(driver, undefined, () => driver.onPair(s));
  return s;
}

/** Open a repair window for a device: runs driver.onRepair(session, device). */
export function startRepairSession(driverArg: object, deviceArg: object): PairSession {
  const driver = asDriver(driverArg);
  const device = asDevice(deviceArg);
  const s: PairSession = session(driver, device, () => driver.onRepair(s, device));
  return s;
}

const stopped = new WeakSet<StandinHomey>();

/**
 * Stop everything like Homey stopping the app: emit 'unload' on homey, onUninit of every device, driver and the app,
 * then clear all tracked timers (also when an onUninit throws; the first error is rethrown afterwards). A second call
 * only clears timers again.
 */
export async function teardown(homey: StandinHomey): Promise<void> {
  if (!(homey instanceof StandinHomey)) throw new Error('teardown: pass the homey from createHomey()');
  if (stopped.has(homey)) {
    homey.clearAllTimers();
    return;
  }
  stopped.add(homey);
  homey.emit('unload');
  const errors: unknown[] = [];
  const attempt = async (fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      errors.push(err);
    }
  };
  for (const driver of homey.drivers.__drivers.values()) {
    for (const device of driver.__devices) await attempt(() => device.onUninit());
    await attempt(() => driver.onUninit());
  }
  if (homey.app) await attempt(() => homey.app!.onUninit());
  homey.clearAllTimers();
  homey.settings.removeAllListeners();
  if (errors.length > 0) throw errors[0];
}
