import Homey from 'homey';

/**
 * PhaseGuard EV: drives Charge Amps and go-e chargers and keeps every phase of the house under the
 * main fuse. The app is a thin adapter: all logic lives in lib/.
 */
class PhaseGuardApp extends Homey.App {
  async onInit(): Promise<void> {
    this.log('PhaseGuard EV has started');
  }
}

export = PhaseGuardApp;
