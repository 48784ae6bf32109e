/**
 * go-e commands for `npm run --silent cli -- goe <command>`:
 *   status        --host URL|IP [--api auto|v1|v2] [--json] [--timeout MS]
 *   set-current   --host URL|IP --amps N [--api auto|v1|v2] [--timeout MS]
 *   cloud-status  --serial S --token T [--api v1|v2] [--base-url URL] [--json] [--timeout MS]
 * The cloud token may also come from the environment variable GOE_CLOUD_TOKEN (keeps it out of the
 * shell history). `--json` prints the normalised status.
 */
import { phaseName } from '../../lib/phase';
import { registerSecret } from '../../lib/errors';
import { GoeClient, GoeConnection, GoeLocalApi } from '../../lib/goe/client';
import { GoeSnapshot } from '../../lib/goe/status';
import { ParsedFlags, UsageError, parseFlags, requireFlag } from './args';
import type { CliCommand, CliIo } from './main';

const common = { api: 'string', timeout: 'number', json: 'boolean' } as const;

function localClient(flags: ParsedFlags): GoeClient {
  const host = requireFlag<string>(flags, 'host');
  return new GoeClient(
    { kind: 'local', host, api: (flags.api as GoeLocalApi | undefined) ?? 'auto' },
    { timeoutMs: (flags.timeout as number | undefined) ?? 5000, minGapMs: 0 },
  );
}

const fmt = (v: number | null | undefined, unit: string, digits = 0): string => (v === null || v === undefined ? '–' : `${v.toFixed(digits)} ${unit}`);

function printSnapshot(snap: GoeSnapshot, json: boolean, io: CliIo): void {
  const { status: s, detail: d } = snap;
  if (json) {
    io.out(JSON.stringify(s, null, 2));
    return;
  }
  io.out(`${s.name} (serial ${s.id}, firmware ${s.firmware ?? '?'}, API ${s.api})`);
  io.out(`state: ${s.state}${s.error ? ` (${s.error})` : ''}; car: ${d.pwmSignal}; charging ${s.chargingAllowed ? 'allowed' : 'not allowed'}`);
  io.out(`current limit: ${fmt(s.currentLimitA, 'A')} (charger max ${fmt(d.absoluteMaxA, 'A')}, cable ${fmt(d.cableEncodingA, 'A')}); offered now: ${fmt(d.offeredCurrentA, 'A')}`);
  for (const p of s.phases) {
    io.out(`${phaseName(p.phase)}: ${fmt(p.voltageV, 'V')}  ${fmt(p.currentA, 'A', 1)}  ${fmt(p.powerW, 'W')}`);
  }
  io.out(`power: ${fmt(s.powerW, 'W')} on ${s.activePhases} phase(s); supply phases: ${d.phases}${d.phaseMode ? `; phase mode: ${d.phaseMode}` : ''}`);
  const limit = d.sessionChargeConsumptionLimitWh === null ? 'no limit' : `limit ${fmt(d.sessionChargeConsumptionLimitWh / 1000, 'kWh', 1)}`;
  io.out(`session: ${fmt(s.sessionEnergyWh === null ? null : s.sessionEnergyWh / 1000, 'kWh', 2)} (${limit}); total: ${fmt(s.totalEnergyWh === null ? null : s.totalEnergyWh / 1000, 'kWh', 1)}`);
  io.out(`temperature: ${fmt(s.temperatureC, '°C', 1)}`);
}

const status: CliCommand = async (argv, io) => {
  const { flags } = parseFlags(argv, { host: 'string', ...common });
  const client = localClient(flags);
  printSnapshot(await client.getSnapshot(), flags.json === true, io);
  return 0;
};

const setCurrent: CliCommand = async (argv, io) => {
  const { flags } = parseFlags(argv, { host: 'string', amps: 'number', api: 'string', timeout: 'number' });
  const amps = requireFlag<number>(flags, 'amps');
  const client = localClient(flags);
  await client.setCurrentLimit(amps);
  const after = await client.getSnapshot();
  io.out(`current limit now ${fmt(after.status.currentLimitA, 'A')} (${after.status.name}, API ${after.status.api})`);
  return 0;
};

const cloudStatus: CliCommand = async (argv, io) => {
  const { flags } = parseFlags(argv, { serial: 'string', token: 'string', 'base-url': 'string', ...common });
  const token = (flags.token as string | undefined) ?? io.env.GOE_CLOUD_TOKEN;
  registerSecret(token);
  if (!token) throw new UsageError('--token (cloud API key)', 'is required; pass it or set the environment variable GOE_CLOUD_TOKEN');
  const api = (flags.api as string | undefined) ?? 'v2';
  if (api !== 'v1' && api !== 'v2') throw new UsageError('--api', `"${api}" is not one of v1, v2 for the cloud`);
  const conn: GoeConnection = {
    kind: 'cloud',
    serial: requireFlag<string>(flags, 'serial'),
    token,
    api,
    baseUrl: flags['base-url'] as string | undefined,
  };
  const client = new GoeClient(conn, { timeoutMs: (flags.timeout as number | undefined) ?? 15000, minGapMs: 0 });
  printSnapshot(await client.getSnapshot(), flags.json === true, io);
  return 0;
};

export const commands: Record<string, CliCommand> = {
  status,
  'set-current': setCurrent,
  'cloud-status': cloudStatus,
};
