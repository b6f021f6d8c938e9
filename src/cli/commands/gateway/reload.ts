// A running gateway follows its files: the tenants file is watched (changes apply within seconds), SIGHUP
// reloads the configuration, tenants, admin password and TLS files, SIGTERM/SIGINT drain and stop it.
// Tenants kept in the store are followed by their view (control.ts); SIGHUP reads them again at once.

import { stat } from 'node:fs/promises';
import type { Logger } from 'pino';
import { closeStore } from '../../../store/open.js';
import type { ObjectStore } from '../../../store/types.js';
import type { Gateway, GatewayLibrary } from '../../../gateway/multi/gateway.js';
import {
  dashboardSources,
  loadGatewaySettings,
  openGatewayLibraries,
  readAdminPassword,
} from '../../../gateway/multi/from-config.js';
import type { GatewaySettings } from '../../../gateway/multi/from-config.js';
import { readTenants } from '../../../gateway/multi/tenants.js';
import { loadTls, tlsSource } from './tls.js';
import type { TlsSource } from './tls.js';
import type { GatewayControl } from './control.js';

export interface RunningGateway {
  gateway: Gateway;
  log: Logger;
  /** The configuration files, as given. */
  paths: string[];
  /** The settings in force; replaced by a reload. */
  settings: GatewaySettings;
  host: string;
  /** TLS from the flags (undefined: from the configuration), and the TLS the gateway started with. */
  tlsFlags: TlsSource | undefined;
  tlsAtStart: TlsSource | undefined;
  /** The tenant view, with gateway.tenants: store. */
  control?: GatewayControl;
}

async function fileStamp(path: string): Promise<string> {
  try {
    const s = await stat(path);
    return `${s.mtimeMs}:${s.size}:${s.ino}`;
  } catch {
    return 'missing';
  }
}

export function closeLibraries(libraries: Array<{ replicas: Array<{ store: ObjectStore }> }>): void {
  for (const l of libraries) for (const r of l.replicas) closeStore(r.store);
}

/** Reloads everything from the files; on failure the previous configuration stays. */
async function reloadAll(run: RunningGateway, restamp: () => Promise<void>): Promise<void> {
  const { gateway, log } = run;
  let opened: GatewayLibrary[] = [];
  try {
    const next = await loadGatewaySettings(run.paths);
    if (next.tenantsInStore !== run.settings.tenantsInStore) {
      throw new Error('gateway.tenants moved between a file and the store: restart the gateway to switch');
    }
    if (run.control !== undefined) await run.control.reload(next);
    const nextTenants =
      run.control === undefined
        ? await readTenants(next.tenantsFile)
        : { tenants: run.control.view.current() ?? [] };
    const nextAdmin = await readAdminPassword(next.gateway, (m) => log.warn({}, m));
    const nextTls =
      run.tlsAtStart?.kind === 'files'
        ? await loadTls(tlsSource(run.tlsFlags, next.gateway), next, run.host)
        : undefined;
    opened = await openGatewayLibraries(next);
    const { unused, retired } = await gateway.reload({
      ...(run.control === undefined ? { tenants: nextTenants.tenants } : {}),
      adminPassword: nextAdmin ?? null,
      libraries: opened,
      dashboardSources: dashboardSources(next),
    });
    opened = [];
    run.settings = next;
    await restamp();
    // Stores of unchanged libraries were opened for nothing; replaced ones are closed once downloads that
    // still read from them have had time to finish.
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
    closeLibraries(opened);
    log.error(
      { error: e instanceof Error ? e.message : String(e) },
      'reload failed; keeping the previous configuration',
    );
  }
}

/** Watches the tenants file and reloads on SIGHUP until stop(). */
export async function followChanges(run: RunningGateway): Promise<{ stop(): void }> {
  const { gateway, log } = run;
  const tenantsFile = (): string => run.settings.tenantsFile;
  let tenantsStamp = await fileStamp(tenantsFile());
  const restamp = async (): Promise<void> => {
    tenantsStamp = await fileStamp(tenantsFile());
  };
  const reloadTenants = async (): Promise<void> => {
    const file = await readTenants(tenantsFile());
    await restamp();
    await gateway.reload({ tenants: file.tenants });
    log.info({ tenants: file.tenants.length }, 'tenants reloaded');
  };
  // Tenant changes apply within a few seconds without a signal, too: the file's mtime is watched (tenants
  // kept in the store are refreshed by their view instead).
  const watcher = setInterval(() => {
    if (run.control !== undefined) return;
    void fileStamp(tenantsFile()).then((s) => {
      if (s !== tenantsStamp)
        reloadTenants().catch((e: unknown) =>
          log.error({ error: (e as Error).message }, 'tenants reload failed; keeping the previous tenants'),
        );
    });
  }, 5_000);
  watcher.unref();
  let reloading = Promise.resolve();
  const reload = (): void => {
    reloading = reloading.then(() => reloadAll(run, restamp));
  };
  process.on('SIGHUP', reload);
  return {
    stop: () => {
      process.off('SIGHUP', reload);
      clearInterval(watcher);
    },
  };
}

/** Waits for SIGINT or SIGTERM, then lets transfers in flight finish (up to graceMs) and stops. */
export async function untilStopped(
  run: RunningGateway,
  graceMs: number,
  beforeStop: () => void,
): Promise<void> {
  const { gateway, log } = run;
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      beforeStop();
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
  closeLibraries(gateway.libraries());
}
