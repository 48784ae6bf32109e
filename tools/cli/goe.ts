/**
 * go-e commands for `npm run --silent cli -- goe <command>` (each lists its flags with `--help`):
 *   status        --host HOST [--api auto|v1|v2] [--json] [--timeout MS]
 *   set-current   --host HOST --amps A [--api auto|v1|v2] [--timeout MS]
 *   pause         --host HOST [--api auto|v1|v2] [--timeout MS]
 *   resume        --host HOST [--api auto|v1|v2] [--timeout MS]
 *   cloud-status  --serial S [--api v1|v2] [--base-url URL] [--json] [--timeout MS]
 * The cloud token comes from the environment variable GOE_CLOUD_TOKEN or a prompt, never a flag.
 * `--json` prints the normalised status.
 */
import { phaseName } from '../../lib/phase';
import { GOE_MAX_CURRENT_A, GOE_MIN_CURRENT_A, GoeClient, GoeConnection, GoeLocalApi, normaliseSerial } from '../../lib/goe/client';
import { GoeSnapshot } from '../../lib/goe/status';
import { FlagDocs, ParsedFlags, UsageError, parseFlags, requireFlag, specOf } from './args';
import { readCredential, refuseCredentialFlags, type Credential } from './credentials';
import { CLI, type CliCommand, type CliIo } from './main';

const TOKEN: Credential = { env: 'GOE_CLOUD_TOKEN', label: 'go-e cloud API token', secret: true };

const host = { type: 'string', value: 'HOST', help: "the go-e's IP address or host name (with :port if not 80), or an http:// URL", required: true } as const;
const localApi = { type: 'string', value: 'auto|v1|v2', help: 'the local HTTP API: v2 (V3/V4 units), v1 (V2 units) or auto (default: v2, else v1)' } as const;
const json = { type: 'boolean', help: 'print the normalised status as JSON' } as const;
const timeout = (ms: number) => ({ type: 'number', value: 'MS', help: `give up after this many milliseconds without an answer (default ${ms})` }) as const;

function localClient(flags: ParsedFlags): GoeClient {
  const h = requireFlag<string>(flags, 'host');
  return new GoeClient(
    { kind: 'local', host: h, api: (flags.api as GoeLocalApi | undefined) ?? 'auto' },
    { timeoutMs: (flags.timeout as number | undefined) ?? 5000, minGapMs: 0 },
  );
}

const fmt = (v: number | null | undefined, unit: string, digits = 0): string => (v === null || v === undefined ? '–' : `${v.toFixed(digits)} ${unit}`);

function printSnapshot(snap: GoeSnapshot, asJson: boolean, io: CliIo): void {
  const { status: s, detail: d } = snap;
  if (asJson) {
    io.out(JSON.stringify(s, null, 2));
    return;
  }
  io.out(`${s.name} (serial ${s.id}, firmware ${s.firmware ?? '?'}, API ${s.api})`);
  io.out(`state: ${s.state}${s.error ? ` (${s.error})` : ''}; car: ${d.pwmSignal}; charging ${s.chargingAllowed ? 'allowed' : 'not allowed'}`);
  io.out(`current limit: ${fmt(s.currentLimitA, 'A')} (charger max ${fmt(d.absoluteMaxA, 'A')}, cable ${fmt(d.cableEncodingA, 'A')}${d.adapter16A ? ', 16 A adapter in' : ''}); offered now: ${fmt(d.offeredCurrentA, 'A')}`);
  for (const p of s.phases) {
    io.out(`${phaseName(p.phase)}: ${fmt(p.voltageV, 'V')}  ${fmt(p.currentA, 'A', 1)}  ${fmt(p.powerW, 'W')}`);
  }
  io.out(`power: ${fmt(s.powerW, 'W')} on ${s.activePhases} phase(s); supply phases: ${d.phases}${d.phaseMode ? `; phase mode: ${d.phaseMode}` : ''}`);
  const limit = d.sessionChargeConsumptionLimitWh === null ? 'no limit' : `limit ${fmt(d.sessionChargeConsumptionLimitWh / 1000, 'kWh', 1)}`;
  io.out(`session: ${fmt(s.sessionEnergyWh === null ? null : s.sessionEnergyWh / 1000, 'kWh', 2)} (${limit}); total: ${fmt(s.totalEnergyWh === null ? null : s.totalEnergyWh / 1000, 'kWh', 1)}`);
  io.out(`temperature: ${fmt(s.temperatureC, '°C', 1)}`);
}

/** A local command: parse the documented flags, then run with a client. */
function local(c: Omit<CliCommand, 'run'>, run: (client: GoeClient, flags: ParsedFlags, io: CliIo) => Promise<number>): CliCommand {
  return {
    ...c,
    run: async (argv, io) => {
      refuseCredentialFlags(argv, { token: TOKEN });
      const { flags } = parseFlags(argv, specOf(c.flags));
      return run(localClient(flags), flags, io);
    },
  };
}

const status = local(
  { summary: 'show state, current limit, per-phase voltage, current and power, and energy', flags: { host, api: localApi, json, timeout: timeout(5000) } },
  async (client, flags, io) => {
    printSnapshot(await client.getSnapshot(), flags.json === true, io);
    return 0;
  },
);

const setCurrent = local(
  {
    summary: 'set the current the charger offers per phase',
    details: `Whole amps from ${GOE_MIN_CURRENT_A} to ${GOE_MAX_CURRENT_A}, within the charger's maximum (ama) and the cable's; to stop charging use pause.`,
    flags: { host, amps: { type: 'integer', value: 'A', help: `the current per phase in whole amps, ${GOE_MIN_CURRENT_A} to ${GOE_MAX_CURRENT_A}`, required: true }, api: localApi, timeout: timeout(5000) },
  },
  async (client, flags, io) => {
    const amps = requireFlag<number>(flags, 'amps');
    if (amps < GOE_MIN_CURRENT_A) {
      throw new UsageError('--amps', `${amps} A is below the ${GOE_MIN_CURRENT_A} A a charger can offer; to stop charging: ${CLI} goe pause --host ${String(flags.host)}`);
    }
    await client.setCurrentLimit(amps);
    const after = await client.getSnapshot();
    io.out(`current limit now ${fmt(after.status.currentLimitA, 'A')} (${after.status.name}, API ${after.status.api})`);
    return 0;
  },
);

const pause = local(
  {
    summary: 'stop offering current without ending the session (v1 alw=0, v2 frc=1)',
    details: 'The car stays connected; resume lets it charge again.',
    flags: { host, api: localApi, timeout: timeout(5000) },
  },
  async (client, _flags, io) => {
    await client.pause();
    const s = (await client.getSnapshot()).status;
    io.out(s.chargingAllowed ? `${s.name}: pause sent, but the charger still reports charging allowed` : `${s.name}: paused (charging not allowed)`);
    return 0;
  },
);

const resume = local(
  {
    summary: "allow charging again (v1 alw=1, v2 frc=0: the charger's own logic decides)",
    details: 'Undoes a pause; the current limit stays as it was.',
    flags: { host, api: localApi, timeout: timeout(5000) },
  },
  async (client, _flags, io) => {
    await client.resume();
    const s = (await client.getSnapshot()).status;
    io.out(s.chargingAllowed ? `${s.name}: charging allowed at ${fmt(s.currentLimitA, 'A')}` : `${s.name}: resume sent, but the charger still reports charging not allowed (${s.state})`);
    return 0;
  },
);

const cloudFlags: FlagDocs = {
  serial: { type: 'string', value: 'SERIAL', help: "the charger's serial number (go-e app)", required: true },
  api: { type: 'string', value: 'v1|v2', help: 'the cloud API (default v2)' },
  'base-url': { type: 'string', value: 'URL', help: "another address for the cloud API (default: go-e's cloud for this serial)" },
  json,
  timeout: timeout(15000),
};

const cloudStatus: CliCommand = {
  summary: 'show the status through the go-e cloud',
  details: 'The API token comes from GOE_CLOUD_TOKEN or, in a terminal, a prompt.',
  flags: cloudFlags,
  env: { GOE_CLOUD_TOKEN: 'the cloud API token from the go-e app (asked for in a terminal when not set)' },
  run: async (argv, io) => {
    refuseCredentialFlags(argv, { token: TOKEN });
    const { flags } = parseFlags(argv, specOf(cloudFlags));
    const api = (flags.api as string | undefined) ?? 'v2';
    if (api !== 'v1' && api !== 'v2') throw new UsageError('--api', `"${api}" is not one of v1, v2 for the cloud`);
    const serial = normaliseSerial(requireFlag<string>(flags, 'serial')); // before asking for a token
    const token = await readCredential(TOKEN, io.env, io.prompt);
    const conn: GoeConnection = { kind: 'cloud', serial, token, api, baseUrl: flags['base-url'] as string | undefined };
    const client = new GoeClient(conn, { timeoutMs: (flags.timeout as number | undefined) ?? 15000, minGapMs: 0 });
    printSnapshot(await client.getSnapshot(), flags.json === true, io);
    return 0;
  },
};

export const commands: Record<string, CliCommand> = {
  status,
  'set-current': setCurrent,
  pause,
  resume,
  'cloud-status': cloudStatus,
};
