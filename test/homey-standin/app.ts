/** Stand-in for Homey.App (SDK v3, see @types/homey/lib/App.d.ts). */
import { requireHomey, SimpleClass } from './base';
import type { StandinHomey } from './homey';

export class App extends SimpleClass {
  homey: StandinHomey;
  manifest: Record<string, unknown>;
  id: string;
  sdk = 3;

  constructor(...args: unknown[]) {
    super(...args);
    this.homey = requireHomey(this.__homey, 'an App');
    this.manifest = this.homey.manifest;
    this.id = String(this.manifest.id ?? 'standin.app');
  }

  protected override __logSource(): string {
    return 'App';
  }

  async onInit(): Promise<void> {}
  async onUninit(): Promise<void> {}
}
