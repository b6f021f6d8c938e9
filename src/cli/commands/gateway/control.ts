// A gateway whose tenants are in the store (gateway.tenants: store): opens the control prefix of every store
// that may carry them with the gateway's credential, reads the first view (no view, no start), refreshes it
// every --tenants-refresh and hands changes to the running gateway; logs problems (fail-static) and
// recovery; opens the origin's control prefix where the gateway shares its per-tenant activity.

import type { Logger } from 'pino';
import { gatewayId } from '../../../config/control-layout.js';
import type { ControlOptions, Gateway } from '../../../gateway/multi/gateway.js';
import { openControlSources, openControlWriteStore } from '../../../gateway/multi/from-config.js';
import type { GatewaySettings } from '../../../gateway/multi/from-config.js';
import { TenantView } from '../../../gateway/multi/tenant-view.js';
import type { ControlSource } from '../../../gateway/multi/tenant-view.js';
import type { ObjectStore } from '../../../store/types.js';

export interface GatewayControl {
  view: TenantView;
  /** What startGateway takes. */
  options: ControlOptions;
  /** The gateway that follows the view's changes. */
  attach(gateway: Gateway): Promise<void>;
  /** Reload: reads from the stores of the new settings (the view in force stays until it is read). */
  reload(settings: GatewaySettings): Promise<void>;
  close(): void;
}

function closeAll(sources: ControlSource[]): void {
  for (const s of sources) s.store.close();
}

export async function startControl(
  settings: GatewaySettings,
  refreshMs: number,
  log: Logger,
): Promise<GatewayControl> {
  let gateway: Gateway | undefined;
  let sources: ControlSource[] = await openControlSources(settings);
  const view = new TenantView(sources, {
    refreshMs,
    onChange: (tenants) => {
      if (gateway === undefined) return;
      void gateway
        .reload({ tenants })
        .then(() =>
          log.info(
            { tenants: tenants.length, source: view.status().source },
            'tenants reloaded from the store',
          ),
        );
    },
    onProblem: (p, stale) =>
      log.warn(
        { kind: p.kind, source: p.source, error: p.message, stale, viewAgeSeconds: view.ageSeconds() },
        stale
          ? 'tenants in the store cannot be read; serving the last good view'
          : 'skipped a store for the tenants',
      ),
    onRecovered: (source) => log.info({ source }, 'tenants in the store can be read again'),
  });
  let writeStore: ObjectStore | undefined;
  try {
    await view.start();
    writeStore = await openControlWriteStore(settings);
  } catch (e) {
    view.stop();
    closeAll(sources);
    throw e;
  }
  const options: ControlOptions = {
    view,
    id: (port) => gatewayId(settings.gateway, port),
    writeStore,
    periodMs: refreshMs,
    onProblem: (what, message) =>
      log.warn(
        { error: message },
        `per-tenant activity could not be ${what === 'write' ? 'written to' : 'read from'} the store`,
      ),
  };
  return {
    view,
    options,
    async attach(g) {
      gateway = g;
      const now = view.current();
      if (now !== undefined) await g.reload({ tenants: now }); // a change read while the gateway started
    },
    async reload(next) {
      const opened = await openControlSources(next);
      const old = view.setSources(opened);
      sources = opened;
      await view.refresh();
      setTimeout(() => closeAll(old), 60_000).unref();
    },
    close() {
      view.stop();
      closeAll(sources);
      writeStore?.close();
    },
  };
}
