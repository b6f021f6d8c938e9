// `claas run --config a.yaml [--config b.yaml ...]`: one long-running service for every library those files
// name. Each change at a library's sources is published to its origin, mirrored to every mirror replica and
// checked on every replica, by itself, until SIGTERM. --listen serves /healthz and /metrics; a `gateway:`
// in the files is served in the same process. Stdout: a line per event for people, or one JSON RunEvent per
// line with --json; stderr: the JSON log (pino). SIGHUP reloads the files; a bad one is refused and the
// previous configuration keeps running.

import type { Command } from 'commander';
import type { ClaasConfig } from '../../config/schema.js';
import { badInput } from '../../errors.js';
import { listenRunHttp } from '../../run/http.js';
import type { RunHttpServer } from '../../run/http.js';
import { DEFAULT_LEASE_TTL_MS } from '../../run/leader.js';
import { startRunService } from '../../run/service.js';
import type { RunService } from '../../run/service.js';
import type { ServiceStatus } from '../../run/types.js';
import { defaulted } from '../flags.js';
import type { CliIo } from '../io.js';
import { collect, parseDuration, parseListen } from '../options.js';
import type { Verb } from '../verb.js';
import { logger } from './gateway.js';
import { loadRunConfigs } from './run/configs.js';
import { eventPrinter } from './run/events.js';
import { serveRunGateway } from './run/gateway.js';
import { holdSignals, reloadOnHangup, untilStopped } from './run/signals.js';
import type { RunningService } from './run/signals.js';

export interface RunOptions {
  configs: string[];
  /** Where /healthz and /metrics answer; undefined: no HTTP server. */
  listen?: { host: string; port: number };
  /** Apply removals above a source's maxDelete instead of holding them. */
  allowDelete: boolean;
  /** On SIGTERM, how long the version in progress may take before it is abandoned. */
  drainMs: number;
  /** Undefined: the service's default. */
  leaseTtlMs?: number;
}

interface RunFlags {
  config?: string[];
  listen?: string;
  allowDelete?: boolean;
  drainTimeout: string;
  leaseTtl?: string;
}

const MIN_LEASE_TTL_MS = 1_000;

export function define(cmd: Command): void {
  cmd
    .addOption(
      defaulted(
        '--config <file>',
        'claas.yaml of a library and its sources (repeat to run several libraries)',
        'claas.yaml',
      ).argParser(collect),
    )
    .option('--listen <host:port>', 'serve /healthz and /metrics at this address')
    .option(
      '--allow-delete',
      "apply removals beyond a source's maxDelete (without it they are held back and reported)",
    )
    .option(
      '--drain-timeout <duration>',
      'on SIGTERM, how long the version in progress may take to finish before it is abandoned',
      '30s',
    )
    .addOption(
      defaulted(
        '--lease-ttl <duration>',
        'how long a standby process waits after the active one stopped renewing its lease before taking over',
        `${DEFAULT_LEASE_TTL_MS / 1000}s`,
      ),
    );
}

export function parse(_args: [], flags: RunFlags): RunOptions {
  const leaseTtlMs = flags.leaseTtl === undefined ? undefined : parseDuration(flags.leaseTtl, '--lease-ttl');
  if (leaseTtlMs !== undefined && leaseTtlMs < MIN_LEASE_TTL_MS) {
    throw badInput(
      `--lease-ttl must be at least 1s; got "${flags.leaseTtl ?? ''}"`,
      '--lease-ttl',
      'a short lease is renewed constantly: give tens of seconds, e.g. 60s',
    );
  }
  return {
    configs: flags.config ?? ['claas.yaml'],
    ...(flags.listen === undefined ? {} : { listen: parseListen(flags.listen) }),
    allowDelete: flags.allowDelete === true,
    drainMs: parseDuration(flags.drainTimeout, '--drain-timeout'),
    ...(leaseTtlMs === undefined ? {} : { leaseTtlMs }),
  };
}

/** The status before the service has started (the health server listens first, to fail fast). */
const NOT_STARTED: ServiceStatus = { startedAt: new Date().toISOString(), libraries: [] };

export async function run(o: RunOptions, io: CliIo): Promise<number> {
  const held = holdSignals();
  try {
    return await runHeld(o, io, held);
  } finally {
    held.release();
  }
}

/** run() with the signals held until everything is started and the handlers are in place. */
async function runHeld(o: RunOptions, io: CliIo, held: { release(): void }): Promise<number> {
  const configs: ClaasConfig[] = await loadRunConfigs(o.configs);
  const log = logger();
  const emit = eventPrinter(io, log);
  let service: RunService | undefined;
  const status = (): ServiceStatus => service?.status() ?? NOT_STARTED;
  const alongside: RunningService['alongside'] = [];
  try {
    if (o.listen !== undefined) {
      const http: RunHttpServer = await listenRunHttp({ ...o.listen, status });
      alongside.push(() => http.close());
      emit({ type: 'listening', url: http.url });
    }
    const gateway = await serveRunGateway(configs, o.configs, io, log, () => status().libraries);
    if (gateway !== undefined) alongside.push((drainMs) => gateway.stop(drainMs));
    service = await startRunService({
      configs,
      allowDelete: o.allowDelete,
      onEvent: emit,
      drainMs: o.drainMs,
      ...(o.leaseTtlMs === undefined ? {} : { leaseTtlMs: o.leaseTtlMs }),
    });
  } catch (e) {
    await Promise.allSettled(alongside.map((stop) => stop(0)));
    throw e;
  }
  const running: RunningService = { service, paths: o.configs, log, emit, drainMs: o.drainMs, alongside };
  const hangup = reloadOnHangup(running);
  const stopped = untilStopped(running);
  held.release(); // a signal received while starting is handled now
  await stopped;
  hangup.stop();
  return 0;
}

export const verb: Verb<RunOptions, RunFlags, []> = {
  name: 'run',
  description:
    'keep libraries flowing by themselves: publish each change at their sources, fill mirrors, check replicas',
  define,
  parse,
  run,
  output: {
    json: 'print one JSON event per line on stdout instead of text',
    quiet: 'print no text on stdout (the JSON log on stderr stays)',
  },
};
