/**
 * The go-e driver in the Homey stand-in against go-e emulators on a manual clock, for the mocha suite it is
 * called in: a fresh Homey and driver before each test, torn down with every emulator after it.
 */
import { ManualClock } from '../../../lib/clock';
import { GoeEmulator, GoeEmulatorOptions } from '../../../tools/emulators/goe/emulator';
import GoeDriver from '../../../drivers/goe/driver';
import GoeDevice from '../../../drivers/goe/device';
import { addDevice, createHomey, startDriver, teardown, type StandinHomey } from '../../homey-standin';

export interface GoeDriverRig {
  readonly homey: StandinHomey;
  readonly driver: GoeDriver;
  /** A started emulator (no start delay, its own manual clock), stopped after the test. */
  emulator(options?: GoeEmulatorOptions): Promise<GoeEmulator>;
  /** The device added for `emu` (named Garage, API auto; `capabilities` as a device paired earlier had them), polled once. */
  paired(emu: GoeEmulator, extra?: { capabilities?: string[] }): Promise<GoeDevice>;
  /** Moves the emulator's clock on. */
  advance(emu: GoeEmulator, ms: number): Promise<void>;
}

export function goeDriverRig(): GoeDriverRig {
  let homey: StandinHomey | undefined;
  let driver: GoeDriver | undefined;
  const emulators: GoeEmulator[] = [];

  before(() => {
    GoeDevice.clientOptions = { minGapMs: 0 };
  });
  after(() => {
    GoeDevice.clientOptions = {};
  });
  beforeEach(async () => {
    homey = createHomey();
    driver = await startDriver(GoeDriver, GoeDevice, { homey, id: 'goe' });
  });
  afterEach(async () => {
    await teardown(homey!);
    while (emulators.length) await emulators.pop()?.stop();
  });

  return {
    get homey() { return homey!; },
    get driver() { return driver!; },
    async emulator(options = {}) {
      const emu = new GoeEmulator({ clock: new ManualClock(), startDelayMs: 0, ...options });
      await emu.start();
      emulators.push(emu);
      return emu;
    },
    async paired(emu, extra = {}) {
      const device = await addDevice<GoeDevice>(driver!, {
        name: 'Garage', data: { id: emu.serial }, store: { serial: emu.serial }, settings: { host: emu.url, api: 'auto' }, ...extra,
      });
      await device.poll();
      return device;
    },
    advance: (emu, ms) => (emu.clock as ManualClock).advance(ms),
  };
}
