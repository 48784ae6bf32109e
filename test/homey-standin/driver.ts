/** Stand-in for Homey.Driver (SDK v3, see @types/homey/lib/Driver.d.ts). */
import { constructing, requireHomey, SimpleClass } from './base';
import type { Device } from './device';
import type { DiscoveryStrategy } from './discovery';
import type { StandinHomey } from './homey';

export class Driver extends SimpleClass {
  id: string;
  homey: StandinHomey;
  manifest: Record<string, unknown>;
  /** @internal devices by insertion order */
  readonly __devices: Device[] = [];
  /** @internal set by the harness */
  __DeviceClass?: new (...args: any[]) => Device;

  static isEqualDeviceData(a: unknown, b: unknown): boolean {
    return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
  }

  constructor(...args: unknown[]) {
    super(...args);
    this.homey = requireHomey(this.__homey, 'a Driver');
    this.id = constructing()?.driverId ?? 'driver';
    this.manifest = this.homey.appManifest.driver(this.id) ?? { id: this.id };
  }

  protected override __logSource(): string {
    return `Driver:${this.id}`;
  }

  async ready(): Promise<void> {}

  getDevices(): Device[] {
    return [...this.__devices];
  }

  getDevice(deviceData: object): Device {
    const found = this.__devices.find((d) => Driver.isEqualDeviceData(d.getData(), deviceData));
    if (!found) throw new Error(`Could not get device by device data ${JSON.stringify(deviceData)}`);
    return found;
  }

  /** The strategy named by `"discovery"` in the driver manifest; throws when the driver declares none. */
  getDiscoveryStrategy(): DiscoveryStrategy {
    const id = this.manifest.discovery;
    if (typeof id !== 'string') throw new Error(`homey stand-in: driver ${this.id} declares no "discovery" strategy in its manifest`);
    return this.homey.discovery.getStrategy(id);
  }

  async onInit(): Promise<void> {}
  async onUninit(): Promise<void> {}
  async onPair(_session: unknown): Promise<void> {}
  async onRepair(_session: unknown, _device: unknown): Promise<void> {}
  async onUnpair(_session: unknown, _device: unknown): Promise<void> {}
  async onPairListDevices(): Promise<any[]> {
    return [];
  }
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  }
  return v;
}
