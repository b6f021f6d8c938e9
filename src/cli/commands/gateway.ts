// `claas gateway --config claas.yaml [--config more.yaml]`: serve every configured library to vCenters at
// /<library>/lib.json, each from its nearest consistent replica, to tenants with their own passwords.
// Logs (one JSON line per request, replica events) go to stderr; stdout carries the startup summary.
// SIGHUP reloads the configuration, the tenants file, the admin password and TLS files; SIGTERM/SIGINT
// stop accepting connections and let transfers in flight finish (--drain-timeout). With gateway.tenants:
// store the tenants are read from the control prefix every --tenants-refresh (gateway/control.ts).

import type { Command } from 'commander';
import pino from 'pino';
import { DEFAULT_LISTEN } from '../../config/schema.js';
import { startGateway } from '../../gateway/multi/gateway.js';
import type { Gateway, GatewayLibrary } from '../../gateway/multi/gateway.js';
import {
  dashboardSources,
  loadGatewaySettings,
  openGatewayLibraries,
  readAdminPassword,
} from '../../gateway/multi/from-config.js';
import type { GatewaySettings } from '../../gateway/multi/from-config.js';
import type { RunSourcesProvider } from '../../gateway/admin/run-sources.js';
import { readTenants } from '../../gateway/multi/tenants.js';
import { defaulted } from '../flags.js';
import type { CliIo } from '../io.js';
import { collect, parseDuration, parseListen, parseSize } from '../options.js';
import { CLAAS_VERSION } from '../version.js';
import type { Verb } from '../verb.js';
import { closeLibraries, followChanges, untilStopped } from './gateway/reload.js';
import type { RunningGateway } from './gateway/reload.js';
import { printSummary } from './gateway/summary.js';
import { startControl } from './gateway/control.js';
import type { GatewayControl } from './gateway/control.js';
import { loadTls, tlsFromFlags, tlsSource } from './gateway/tls.js';
import type { TlsSource } from './gateway/tls.js';

export interface GatewayOptions {
  configs: string[];
  /** Undefined: gateway.listen of the configuration. */
  listen?: { host: string; port: number };
  /** Undefined: gateway.tls of the configuration (or plain HTTP). */
  tls?: TlsSource;
  refreshMs: number;
  /** How often tenants kept in the store are read again (gateway.tenants: store). */
  tenantsRefreshMs: number;
  statusRefreshMs: number;
  drainTimeoutMs: number;
  headersTimeoutMs: number;
  idleTimeoutMs: number;
  maxHeaderSize: number;
  accessLog: boolean;
}

interface GatewayFlags {
  config?: string[];
  listen?: string;
  tlsCert?: string;
  tlsKey?: string;
  selfSigned?: boolean;
  refresh: string;
  tenantsRefresh: string;
  statusRefresh: string;
  drainTimeout: string;
  headersTimeout: string;
  idleTimeout: string;
  maxHeaderSize: string;
  accessLog: boolean;
}

export function define(cmd: Command): void {
  cmd
    .addOption(
      defaulted(
        '--config <file>',
        'claas.yaml of a library (repeat to serve several libraries)',
        'claas.yaml',
      ).argParser(collect),
    )
    .addOption(
      defaulted(
        '--listen <host:port>',
        'address and port to listen on',
        `gateway.listen, else ${DEFAULT_LISTEN}`,
      ),
    )
    .option('--tls-cert <pem>', 'serve HTTPS with this certificate')
    .option('--tls-key <pem>', 'private key for --tls-cert')
    .option('--self-signed', 'serve HTTPS with a self-signed certificate kept beside the configuration')
    .option('--refresh <duration>', 'how often each replica is checked for new complete versions', '10s')
    .option(
      '--tenants-refresh <duration>',
      'with gateway.tenants: store, how often the tenants are read again from the store (a revoked password stops working within this plus replication)',
      '30s',
    )
    .option(
      '--status-refresh <duration>',
      "how often the dashboard re-checks every store's consistency while someone looks at it",
      '15s',
    )
    .option(
      '--drain-timeout <duration>',
      'on SIGTERM, how long transfers in flight may take to finish',
      '30s',
    )
    .option('--headers-timeout <duration>', 'time a client may take to send its request headers', '20s')
    .option(
      '--idle-timeout <duration>',
      'time a connection may sit without traffic (e.g. a client that stopped reading)',
      '60s',
    )
    .option('--max-header-size <size>', 'largest request head accepted (larger: 431)', '8KiB')
    .option('--no-access-log', 'do not log a line per request');
}

export function parse(_args: [], flags: GatewayFlags): GatewayOptions {
  const tls = tlsFromFlags(flags);
  return {
    configs: flags.config ?? ['claas.yaml'],
    ...(flags.listen === undefined ? {} : { listen: parseListen(flags.listen) }),
    ...(tls === undefined ? {} : { tls }),
    refreshMs: parseDuration(flags.refresh, '--refresh'),
    tenantsRefreshMs: parseDuration(flags.tenantsRefresh, '--tenants-refresh'),
    statusRefreshMs: parseDuration(flags.statusRefresh, '--status-refresh'),
    drainTimeoutMs: parseDuration(flags.drainTimeout, '--drain-timeout'),
    headersTimeoutMs: parseDuration(flags.headersTimeout, '--headers-timeout'),
    idleTimeoutMs: parseDuration(flags.idleTimeout, '--idle-timeout'),
    maxHeaderSize: parseSize(flags.maxHeaderSize, '--max-header-size'),
    accessLog: flags.accessLog,
  };
}

/** JSON log lines on stderr (pino), secrets redacted: the gateway's and `claas run`'s log. */
export function logger(): pino.Logger {
  return pino(
    {
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: ['authorization', 'password', '*.authorization', '*.password'],
    },
    pino.destination({ dest: 2, sync: false }),
  );
}

interface Prepared {
  settings: GatewaySettings;
  host: string;
  port: number;
  tlsAtStart: TlsSource | undefined;
  tls: Awaited<ReturnType<typeof loadTls>>;
  tenants: Awaited<ReturnType<typeof readTenants>>['tenants'];
  adminPassword: string | undefined;
}

/** Everything the gateway starts with, read from the files. */
async function prepare(o: GatewayOptions, io: CliIo): Promise<Prepared> {
  const settings = await loadGatewaySettings(o.configs);
  const { host, port } = o.listen ?? parseListen(settings.gateway.listen);
  const tlsAtStart = tlsSource(o.tls, settings.gateway);
  const tls = await loadTls(tlsAtStart, settings, host);
  const tenants = settings.tenantsInStore ? [] : (await readTenants(settings.tenantsFile)).tenants;
  const adminPassword = await readAdminPassword(settings.gateway, io.warn);
  return { settings, host, port, tlsAtStart, tls, tenants, adminPassword };
}

async function start(
  o: GatewayOptions,
  p: Prepared,
  libraries: GatewayLibrary[],
  log: pino.Logger,
  runSources: RunSourcesProvider | undefined,
  control: GatewayControl | undefined,
): Promise<Gateway> {
  try {
    return await startGateway({
      host: p.host,
      port: p.port,
      ...(p.tls === undefined ? {} : { tls: { cert: p.tls.cert, key: p.tls.key } }),
      headersTimeoutMs: o.headersTimeoutMs,
      idleTimeoutMs: o.idleTimeoutMs,
      maxHeaderSize: o.maxHeaderSize,
      libraries,
      tenants: control?.view.current() ?? p.tenants,
      ...(control === undefined ? {} : { control: control.options }),
      ...(p.adminPassword === undefined ? {} : { adminPassword: p.adminPassword }),
      replicas: { refreshMs: o.refreshMs, maxBackoffMs: Math.max(o.refreshMs, 60_000) },
      dashboard: {
        sources: dashboardSources(p.settings),
        version: CLAAS_VERSION,
        refreshMs: o.statusRefreshMs,
        ...(runSources === undefined ? {} : { runSources }),
      },
      ...(o.accessLog ? { onRequest: (e) => log.info({ ...e, msg: 'request' }) } : {}),
      onEvent: (e) =>
        e.event === 'down' ? log.warn(e, `replica ${e.event}`) : log.info(e, `replica ${e.event}`),
    });
  } catch (e) {
    closeLibraries(libraries);
    throw e;
  }
}

export interface ServedGateway {
  running: RunningGateway;
  /** Stops following the files (SIGHUP, the tenants file). */
  following: { stop(): void };
  /** Stops following the files, drains transfers in flight (at most graceMs) and closes the stores. */
  stop(graceMs: number): Promise<void>;
}

/**
 * Starts the gateway the options describe, prints its summary and follows its files (SIGHUP reloads, the
 * tenants file). `claas gateway` runs one until SIGTERM; `claas run` serves one beside its service and
 * passes the status of its sources for the dashboard.
 */
export async function serveGateway(
  o: GatewayOptions,
  io: CliIo,
  log: pino.Logger,
  runSources?: RunSourcesProvider,
): Promise<ServedGateway> {
  const p = await prepare(o, io);
  // Tenants in the store: no first view, no start (the view throws why).
  const control = p.settings.tenantsInStore
    ? await startControl(p.settings, o.tenantsRefreshMs, log)
    : undefined;
  let gateway: Gateway;
  let libraries: GatewayLibrary[];
  try {
    libraries = await openGatewayLibraries(p.settings);
    gateway = await start(o, p, libraries, log, runSources, control);
    await control?.attach(gateway);
  } catch (e) {
    control?.close();
    throw e;
  }
  printSummary(io, {
    gateway,
    settings: p.settings,
    libraries,
    tenants: control?.view.current()?.length ?? p.tenants.length,
    ...(control === undefined ? {} : { tenantView: control.view.status() }),
    adminPassword: p.adminPassword,
    tlsNote: p.tls?.note,
  });
  const running: RunningGateway = {
    gateway,
    log,
    paths: o.configs,
    settings: p.settings,
    host: p.host,
    tlsFlags: o.tls,
    tlsAtStart: p.tlsAtStart,
    ...(control === undefined ? {} : { control }),
  };
  const following = await followChanges(running);
  return {
    running,
    following,
    async stop(graceMs) {
      following.stop();
      await gateway.shutdown(graceMs);
      closeLibraries(gateway.libraries());
      control?.close();
    },
  };
}

export async function run(o: GatewayOptions, io: CliIo): Promise<number> {
  const served = await serveGateway(o, io, logger());
  await untilStopped(served.running, o.drainTimeoutMs, () => served.following.stop());
  served.running.control?.close();
  return 0;
}

export const verb: Verb<GatewayOptions, GatewayFlags, []> = {
  name: 'gateway',
  description: 'serve every configured library to vCenters, per tenant, from the nearest consistent replica',
  define,
  parse,
  run,
  output: { json: 'print the endpoint details as JSON on stdout' },
};
