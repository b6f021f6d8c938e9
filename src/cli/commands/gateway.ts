// `claas gateway --config claas.yaml [--config more.yaml]`: serve every configured library to vCenters at
// /<library>/lib.json, each from its nearest consistent replica, to tenants with their own passwords.
// Logs (one JSON line per request, replica events) go to stderr; stdout carries the startup summary.
// SIGHUP reloads the configuration, the tenants file, the admin password and TLS files; SIGTERM/SIGINT
// stop accepting connections and let transfers in flight finish (--drain-timeout).

import type { Command } from 'commander';
import { open, readFile, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import pino from 'pino';
import { ClaasError, badInput } from '../../errors.js';
import { generateSelfSigned } from '../../net/tls.js';
import { closeStore } from '../../store/open.js';
import { startGateway } from '../../gateway/multi/gateway.js';
import type { Gateway, GatewayLibrary } from '../../gateway/multi/gateway.js';
import {
  dashboardSources,
  loadGatewaySettings,
  openGatewayLibraries,
  readAdminPassword,
} from '../../gateway/multi/from-config.js';
import { CLAAS_VERSION } from '../version.js';
import type { GatewaySettings } from '../../gateway/multi/from-config.js';
import { readTenants } from '../../gateway/multi/tenants.js';
import { VCSP_USER } from '../../vcsp/basic-auth.js';
import type { GatewayConfig } from '../../config/schema.js';
import { collect, parseDuration, parseSize } from '../options.js';
import { printJson, say, warn } from '../output.js';
import { runCommand } from '../run.js';

interface GatewayFlags {
  config?: string[];
  listen?: string;
  tlsCert?: string;
  tlsKey?: string;
  selfSigned?: boolean;
  refresh: string;
  statusRefresh: string;
  drainTimeout: string;
  headersTimeout: string;
  idleTimeout: string;
  maxHeaderSize: string;
  accessLog?: boolean;
  json?: boolean;
  quiet?: boolean;
}

const LISTEN_RE = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]*):(\d{1,5})$/;

export function parseListen(text: string): { host: string; port: number } {
  const m = LISTEN_RE.exec(text.trim());
  const port = Number(m?.[2]);
  if (m === null || !Number.isInteger(port) || port > 65535) {
    throw badInput(
      `--listen takes host:port; got "${text}"`,
      '--listen',
      'e.g. 127.0.0.1:8443, 0.0.0.0:443, [::]:8443 or 127.0.0.1:0',
    );
  }
  const host = m[1]!.replace(/^\[|\]$/g, '');
  return { host: host === '' ? '0.0.0.0' : host, port };
}

type TlsSource = { kind: 'files'; certFile: string; keyFile: string } | { kind: 'self-signed' } | undefined;

function tlsSource(flags: GatewayFlags, gw: GatewayConfig): TlsSource {
  if (flags.selfSigned && (flags.tlsCert || flags.tlsKey)) {
    throw badInput('give --tls-cert and --tls-key, or --self-signed', '--self-signed');
  }
  if (flags.tlsCert || flags.tlsKey) {
    if (!flags.tlsCert || !flags.tlsKey)
      throw badInput(
        '--tls-cert and --tls-key go together',
        flags.tlsCert ?? flags.tlsKey ?? '',
        'give both PEM files',
      );
    return { kind: 'files', certFile: flags.tlsCert, keyFile: flags.tlsKey };
  }
  if (flags.selfSigned) return { kind: 'self-signed' };
  if (gw.tls === undefined) return undefined;
  return 'selfSigned' in gw.tls ? { kind: 'self-signed' } : { kind: 'files', ...gw.tls };
}

async function readPem(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch {
    throw new ClaasError('BAD_INPUT', `cannot read the TLS ${what}`, {
      input: path,
      hint: 'check the path and permissions',
    });
  }
}

/**
 * The TLS certificate and key. A self-signed pair is made once and kept beside the configuration
 * (claas-gateway-cert.pem, claas-gateway-key.pem with mode 0600), so the thumbprint vCenter pins survives
 * restarts; gateways behind one load balancer should share one real certificate instead.
 */
async function loadTls(
  src: TlsSource,
  settings: GatewaySettings,
  host: string,
): Promise<{ cert: Buffer; key: Buffer; note?: string } | undefined> {
  if (src === undefined) return undefined;
  if (src.kind === 'files')
    return { cert: await readPem(src.certFile, 'certificate'), key: await readPem(src.keyFile, 'key') };
  const dir = dirname(settings.configs[0]!.file);
  const certFile = join(dir, 'claas-gateway-cert.pem');
  const keyFile = join(dir, 'claas-gateway-key.pem');
  try {
    return {
      cert: await readFile(certFile),
      key: await readFile(keyFile),
      note: `self-signed certificate ${certFile}`,
    };
  } catch {
    // Not made yet.
  }
  const name = host === '0.0.0.0' || host === '::' ? hostname() : host;
  const pair = await generateSelfSigned(name);
  const fh = await open(keyFile, 'wx', 0o600);
  try {
    await fh.writeFile(pair.key);
  } finally {
    await fh.close();
  }
  const ch = await open(certFile, 'wx', 0o644);
  try {
    await ch.writeFile(pair.cert);
  } finally {
    await ch.close();
  }
  return { ...pair, note: `new self-signed certificate ${certFile}` };
}

export function registerGateway(program: Command): void {
  program
    .command('gateway')
    .description(
      'serve every configured library to vCenters, per tenant, from the nearest consistent replica',
    )
    .option('--config <file>', 'claas.yaml of a library (repeat to serve several libraries)', collect)
    .option('--listen <host:port>', 'address to listen on (default: gateway.listen, 127.0.0.1:8443)')
    .option('--tls-cert <pem>', 'serve HTTPS with this certificate')
    .option('--tls-key <pem>', 'private key for --tls-cert')
    .option('--self-signed', 'serve HTTPS with a self-signed certificate kept beside the configuration')
    .option('--refresh <duration>', 'how often each replica is checked for new complete versions', '10s')
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
    .option('--no-access-log', 'do not log a line per request')
    .option('--json', 'print the endpoint details as JSON on stdout')
    .option('-q, --quiet', 'print nothing but errors')
    .action(async (flags: GatewayFlags) => {
      await runCommand(flags, async (mode) => {
        const paths = flags.config ?? ['claas.yaml'];
        let settings = await loadGatewaySettings(paths);
        const { host, port } = parseListen(flags.listen ?? settings.gateway.listen);
        const tlsFrom = tlsSource(flags, settings.gateway);
        const tls = await loadTls(tlsFrom, settings, host);
        const tenantsFile = () => settings.tenantsFile;
        const tenants = await readTenants(tenantsFile());
        const adminPassword = await readAdminPassword(settings.gateway, warn);
        const libraries: GatewayLibrary[] = await openGatewayLibraries(settings);
        const log = pino(
          {
            base: undefined,
            timestamp: pino.stdTimeFunctions.isoTime,
            redact: ['authorization', 'password', '*.authorization', '*.password'],
          },
          pino.destination({ dest: 2, sync: false }),
        );
        const refreshMs = parseDuration(flags.refresh, '--refresh');
        let gateway: Gateway;
        try {
          gateway = await startGateway({
            host,
            port,
            ...(tls === undefined ? {} : { tls: { cert: tls.cert, key: tls.key } }),
            headersTimeoutMs: parseDuration(flags.headersTimeout, '--headers-timeout'),
            idleTimeoutMs: parseDuration(flags.idleTimeout, '--idle-timeout'),
            maxHeaderSize: parseSize(flags.maxHeaderSize, '--max-header-size'),
            libraries,
            tenants: tenants.tenants,
            ...(adminPassword === undefined ? {} : { adminPassword }),
            replicas: { refreshMs, maxBackoffMs: Math.max(refreshMs, 60_000) },
            dashboard: {
              sources: dashboardSources(settings),
              version: CLAAS_VERSION,
              refreshMs: parseDuration(flags.statusRefresh, '--status-refresh'),
            },
            ...(flags.accessLog === false ? {} : { onRequest: (e) => log.info({ ...e, msg: 'request' }) }),
            onEvent: (e) =>
              e.event === 'down' ? log.warn(e, `replica ${e.event}`) : log.info(e, `replica ${e.event}`),
          });
        } catch (e) {
          for (const l of libraries) for (const r of l.replicas) closeStore(r.store);
          throw e;
        }
        const urls = gateway.urls();
        const dashboardUrl = gateway.server.url.replace(/\/lib\.json$/, '/ui/');
        const prefer = Object.fromEntries(libraries.map((l) => [l.name, l.replicas.map((r) => r.name)]));
        if (mode.json) {
          printJson({
            ok: true,
            urls,
            port: gateway.server.port,
            authentication: 'BASIC',
            user: VCSP_USER,
            thumbprint: gateway.server.thumbprint,
            tenants: tenants.tenants.length,
            tenantsFile: tenantsFile(),
            prefer,
            dashboard: adminPassword === undefined ? null : dashboardUrl,
            pid: process.pid,
          });
        } else {
          say(mode, `claas gateway serving ${urls.length} ${urls.length === 1 ? 'library' : 'libraries'}`);
          for (const u of urls)
            say(mode, `  ${u.url}   (replicas, nearest first: ${prefer[u.library]?.join(', ')})`);
          if (gateway.server.thumbprint)
            say(mode, `SSL thumbprint: ${gateway.server.thumbprint}${tls?.note ? ` (${tls.note})` : ''}`);
          say(
            mode,
            `authentication: Basic, user "${VCSP_USER}", each tenant's own password (claas tenant add)`,
          );
          say(mode, `tenants: ${tenants.tenants.length} in ${tenantsFile()}`);
          if (tenants.tenants.length === 0)
            say(
              mode,
              'no tenant can subscribe yet: claas tenant add <name> --library <library> --config ...',
            );
          say(
            mode,
            adminPassword === undefined
              ? 'dashboard: off (set gateway.admin.passwordFile in claas.yaml to turn it on)'
              : `dashboard: ${dashboardUrl}   (user "admin", password from ${settings.gateway.admin?.passwordFile ?? ''})`,
          );
          say(mode, 'health: /healthz   metrics: /metrics   reload: kill -HUP ' + String(process.pid));
        }

        // Tenant changes apply within a few seconds without a signal, too: the file's mtime is watched.
        let tenantsStamp = await fileStamp(tenantsFile());
        const reloadTenants = async (): Promise<void> => {
          const file = await readTenants(tenantsFile());
          tenantsStamp = await fileStamp(tenantsFile());
          await gateway.reload({ tenants: file.tenants });
          log.info({ tenants: file.tenants.length }, 'tenants reloaded');
        };
        const watcher = setInterval(() => {
          void fileStamp(tenantsFile()).then((s) => {
            if (s !== tenantsStamp)
              reloadTenants().catch((e: unknown) =>
                log.error(
                  { error: (e as Error).message },
                  'tenants reload failed; keeping the previous tenants',
                ),
              );
          });
        }, 5_000);
        watcher.unref();

        let reloading = Promise.resolve();
        const reload = (): void => {
          reloading = reloading.then(async () => {
            let opened: GatewayLibrary[] = [];
            try {
              const next = await loadGatewaySettings(paths);
              const nextTenants = await readTenants(next.tenantsFile);
              const nextAdmin = await readAdminPassword(next.gateway, (m) => log.warn({}, m));
              const nextTls =
                tlsFrom?.kind === 'files'
                  ? await loadTls(tlsSource(flags, next.gateway), next, host)
                  : undefined;
              opened = await openGatewayLibraries(next);
              const { unused, retired } = await gateway.reload({
                tenants: nextTenants.tenants,
                adminPassword: nextAdmin ?? null,
                libraries: opened,
                dashboardSources: dashboardSources(next),
              });
              opened = [];
              settings = next;
              tenantsStamp = await fileStamp(tenantsFile());
              // Stores of unchanged libraries were opened for nothing; replaced ones are closed once
              // downloads that still read from them have had time to finish.
              unused.forEach(closeStore);
              setTimeout(() => retired.forEach(closeStore), 15 * 60_000).unref();
              const thumbprint =
                nextTls !== undefined && gateway.server.setTls ? gateway.server.setTls(nextTls) : undefined;
              log.info(
                {
                  libraries: gateway.urls().map((u) => u.library),
                  tenants: nextTenants.tenants.length,
                  ...(thumbprint ? { thumbprint } : {}),
                },
                'configuration reloaded',
              );
            } catch (e) {
              for (const l of opened) for (const r of l.replicas) closeStore(r.store);
              log.error(
                { error: e instanceof Error ? e.message : String(e) },
                'reload failed; keeping the previous configuration',
              );
            }
          });
        };
        process.on('SIGHUP', reload);

        const graceMs = parseDuration(flags.drainTimeout, '--drain-timeout');
        await new Promise<void>((resolve) => {
          const stop = (signal: string): void => {
            process.off('SIGINT', onInt);
            process.off('SIGTERM', onTerm);
            process.off('SIGHUP', reload);
            clearInterval(watcher);
            log.info({ signal, graceMs }, 'shutting down: finishing transfers in flight');
            void gateway.shutdown(graceMs).then(() => {
              log.info({}, 'stopped');
              log.flush();
              resolve();
            });
          };
          const onInt = (): void => stop('SIGINT');
          const onTerm = (): void => stop('SIGTERM');
          process.on('SIGINT', onInt);
          process.on('SIGTERM', onTerm);
        });
        for (const l of gateway.libraries()) for (const r of l.replicas) closeStore(r.store);
        return 0;
      });
    });
}

async function fileStamp(path: string): Promise<string> {
  try {
    const s = await stat(path);
    return `${s.mtimeMs}:${s.size}:${s.ino}`;
  } catch {
    return 'missing';
  }
}
