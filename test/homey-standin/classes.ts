/**
 * Stand-ins for Homey.SimpleClass, Homey.App, Homey.Driver and Homey.Device (SDK v3, see @types/homey/lib/*.d.ts),
 * one module each: base.ts (SimpleClass, constructWith, jsonClone), app.ts, driver.ts, device.ts. Instances are created
 * by the harness, which hands `homey` (and device props) to the constructor through `constructWith`.
 */
export { constructWith, jsonClone, SimpleClass } from './base';
export { App } from './app';
export { Driver } from './driver';
export { Device } from './device';
export type { DeviceProps } from './device';
