import assert from 'assert';
import { currentForTargetPower, phasesInUse, TargetPowerControl, type PausedBy, type TargetPowerHost, type TargetPowerMode } from '../../drivers/targetPower';

describe('drivers/targetPower', () => {
  describe('currentForTargetPower', () => {
    it('W / (230 V × the car\'s phases), whole amps rounded down, within the charger\'s range', () => {
      assert.deepStrictEqual(currentForTargetPower(6900, 3, 6, 32), { paused: false, currentA: 10 });
      assert.deepStrictEqual(currentForTargetPower(7000, 3, 6, 32), { paused: false, currentA: 10 }, 'never more than the target');
      assert.deepStrictEqual(currentForTargetPower(11040, 3, 6, 32), { paused: false, currentA: 16 });
      assert.deepStrictEqual(currentForTargetPower(2300, 1, 6, 32), { paused: false, currentA: 10 });
      assert.deepStrictEqual(currentForTargetPower(4600, 2, 6, 32), { paused: false, currentA: 10 });
      assert.deepStrictEqual(currentForTargetPower(22080, 3, 6, 16), { paused: false, currentA: 16 }, 'at most the charger\'s maximum');
      assert.deepStrictEqual(currentForTargetPower(25000, 1, 6, 32), { paused: false, currentA: 32 });
    });

    it('pauses below the minimum current: 0 W, a negative or broken value, less than 6 A on the car\'s phases', () => {
      for (const w of [0, -500, Number.NaN, 1379]) assert.deepStrictEqual(currentForTargetPower(w, 1, 6, 32), { paused: true }, `${w} W`);
      assert.deepStrictEqual(currentForTargetPower(1380, 1, 6, 32), { paused: false, currentA: 6 });
      assert.deepStrictEqual(currentForTargetPower(4139, 3, 6, 32), { paused: true }, '5.99 A on three phases');
      assert.deepStrictEqual(currentForTargetPower(4140, 3, 6, 32), { paused: false, currentA: 6 });
    });

    it('phases not known yet: the current for three phases, at least the minimum while the minimum on one phase fits', () => {
      assert.deepStrictEqual(currentForTargetPower(11040, null, 6, 32), { paused: false, currentA: 16 });
      assert.deepStrictEqual(currentForTargetPower(3000, null, 6, 32), { paused: false, currentA: 6 }, 'a one-phase car may take it');
      assert.deepStrictEqual(currentForTargetPower(1000, null, 6, 32), { paused: true });
    });

    it('phasesInUse: only while the car charges', () => {
      assert.strictEqual(phasesInUse(3, true), 3);
      assert.strictEqual(phasesInUse(1, true), 1);
      assert.strictEqual(phasesInUse(0, true), null);
      assert.strictEqual(phasesInUse(3, false), null);
    });
  });

  describe('TargetPowerControl', () => {
    /** A host that records what the device would do; the balancer runs the charger unless `balanced` is false. */
    function rig(init: { mode?: TargetPowerMode | null; watts?: number | null; pausedBy?: PausedBy | null; balanced?: boolean } = {}) {
      const calls: string[] = [];
      const ref: { control?: TargetPowerControl } = {};
      const host: TargetPowerHost = {
        currentRange: () => ({ minA: 6, maxA: 32 }),
        pause: async () => {
          calls.push('pause');
          ref.control!.noteCommand('pause');
        },
        resume: async () => {
          calls.push('resume');
          ref.control!.noteCommand('resume');
        },
        setTargetCurrent: async (a) => {
          calls.push(`target ${a}`);
          return { balanced: init.balanced ?? true };
        },
        showMode: async (mode) => {
          calls.push(`mode ${mode}`);
        },
        savePausedBy: async (by) => {
          calls.push(`saved ${by}`);
        },
        log: () => undefined,
      };
      const control = new TargetPowerControl(host, { mode: init.mode ?? 'device', watts: init.watts ?? null, pausedBy: init.pausedBy ?? null });
      ref.control = control;
      return { control, calls };
    }

    it('a target alone switches the mode to homey and hands its current on (three phases until the car draws)', async () => {
      const { control, calls } = rig();
      await control.change({ watts: 6900 });
      assert.deepStrictEqual(calls, ['mode homey', 'target 10']);
      assert.strictEqual(control.getMode(), 'homey');
      assert.strictEqual(control.currentA(), 10);
    });

    it('the car\'s phases correct it: a one-phase car gets the whole target on its phase', async () => {
      const { control, calls } = rig({ mode: 'homey', watts: 2300 });
      await control.reading({ carConnected: true, phases: null });
      await control.reading({ carConnected: true, phases: 1 });
      await control.reading({ carConnected: true, phases: 1 });
      assert.deepStrictEqual(calls, ['target 6', 'target 10'], 'applied at the first reading, again only when the current changes');
    });

    it('below the minimum: the balancer pauses it (a maximum of 0 A), the device does not; a higher target lifts it', async () => {
      const { control, calls } = rig({ mode: 'homey' });
      await control.change({ watts: 3000, charging: true });
      await control.reading({ carConnected: true, phases: 3 });
      await control.change({ watts: 11040, charging: true });
      assert.deepStrictEqual(calls, ['target 6', 'target 0', 'target 16']);
      assert.strictEqual(control.pauses(), false);
    });

    it('nobody balances the charger: the device pauses for the target and resumes once it allows the minimum', async () => {
      const { control, calls } = rig({ mode: 'homey', balanced: false });
      await control.reading({ carConnected: true, phases: 3 });
      await control.change({ watts: 3000 });
      assert.ok(control.pauses());
      await control.change({ watts: 6900 });
      assert.deepStrictEqual(calls, ['target 0', 'pause', 'saved homey', 'saved target', 'target 10', 'resume', 'saved null']);
    });

    it('a stop from Homey is kept; the next start resumes it; a pause of the balancer is never resumed by force', async () => {
      const { control, calls } = rig({ mode: 'homey', watts: 6900 });
      await control.change({ watts: 0, charging: false });
      assert.deepStrictEqual(calls.splice(0), ['pause', 'saved homey', 'target 0']);
      await control.change({ watts: 6900, charging: true });
      assert.deepStrictEqual(calls.splice(0), ['target 10', 'resume', 'saved null']);
      await control.change({ watts: 9000, charging: true }); // the balancer may have paused it: not the target's to undo
      assert.deepStrictEqual(calls.splice(0), ['target 13']);
      await control.change({ charging: true }); // a person's switch: any pause
      assert.deepStrictEqual(calls.splice(0), ['target 13', 'resume']);
    });

    it('the mode back to device ends the target (and undoes a pause of the target); unplugging ends it too', async () => {
      const { control, calls } = rig({ mode: 'homey', watts: 1000, pausedBy: 'target', balanced: false });
      await control.change({ mode: 'device' });
      assert.deepStrictEqual(calls.splice(0), ['target null', 'resume', 'saved null']);
      assert.strictEqual(control.currentA(), null);
      await control.change({ charging: false });
      assert.deepStrictEqual(calls.splice(0), ['pause', 'saved homey'], 'mode device: the switch as before');
      await control.change({ watts: 6900, charging: true });
      await control.reading({ carConnected: true, phases: 3 });
      await control.reading({ carConnected: false, phases: null });
      assert.deepStrictEqual(calls, ['mode homey', 'target 10', 'resume', 'saved null', 'mode device', 'target null']);
      assert.strictEqual(control.getMode(), 'device');
    });

    it('a mode and a target in two batches, the second sent before the first ran: both count, in order', async () => {
      const { control, calls } = rig();
      const first = control.change({ mode: 'homey' });
      const second = control.change({ watts: 11040 });
      await Promise.all([first, second]);
      assert.deepStrictEqual(calls, ['target 16', 'target 16']);
    });
  });
});
