// What `claas gateway` prints once it listens: the subscription URLs with their replicas, the thumbprint,
// how tenants authenticate, the dashboard, health and metrics (as text, or as JSON with --json).

import type { Gateway, GatewayLibrary } from '../../../gateway/multi/gateway.js';
import type { GatewaySettings } from '../../../gateway/multi/from-config.js';
import { VCSP_USER } from '../../../vcsp/basic-auth.js';
import type { TenantViewStatus } from '../../../gateway/multi/tenant-view.js';
import type { CliIo } from '../../io.js';

export interface StartedGateway {
  gateway: Gateway;
  settings: GatewaySettings;
  libraries: GatewayLibrary[];
  tenants: number;
  /** With gateway.tenants: store, the tenant view it started with. */
  tenantView?: TenantViewStatus;
  adminPassword: string | undefined;
  tlsNote: string | undefined;
}

export function printSummary(io: CliIo, s: StartedGateway): void {
  const { gateway, settings } = s;
  const urls = gateway.urls();
  const dashboardUrl = gateway.server.url.replace(/\/lib\.json$/, '/ui/');
  const prefer = Object.fromEntries(s.libraries.map((l) => [l.name, l.replicas.map((r) => r.name)]));
  if (io.json) {
    io.printJson({
      ok: true,
      urls,
      port: gateway.server.port,
      authentication: 'BASIC',
      user: VCSP_USER,
      thumbprint: gateway.server.thumbprint,
      tenants: s.tenants,
      tenantsFile: settings.tenantsFile,
      ...(s.tenantView === undefined
        ? {}
        : { tenantsSource: s.tenantView.source, tenantsRefreshSeconds: s.tenantView.refreshSeconds }),
      prefer,
      dashboard: s.adminPassword === undefined ? null : dashboardUrl,
      pid: process.pid,
    });
    return;
  }
  io.say(`claas gateway serving ${urls.length} ${urls.length === 1 ? 'library' : 'libraries'}`);
  for (const u of urls) io.say(`  ${u.url}   (replicas, nearest first: ${prefer[u.library]?.join(', ')})`);
  if (gateway.server.thumbprint)
    io.say(`SSL thumbprint: ${gateway.server.thumbprint}${s.tlsNote ? ` (${s.tlsNote})` : ''}`);
  io.say(`authentication: Basic, user "${VCSP_USER}", each tenant's own password (claas tenant add)`);
  io.say(
    s.tenantView === undefined
      ? `tenants: ${s.tenants} in ${settings.tenantsFile}`
      : `tenants: ${s.tenants} from the store (read from ${s.tenantView.source ?? 'no store: none added yet'}, again every ${s.tenantView.refreshSeconds} s)`,
  );
  if (s.tenants === 0)
    io.say('no tenant can subscribe yet: claas tenant add <name> --library <library> --config ...');
  io.say(
    s.adminPassword === undefined
      ? 'dashboard: off (set gateway.admin.passwordFile in claas.yaml to turn it on)'
      : `dashboard: ${dashboardUrl}   (user "admin", password from ${settings.gateway.admin?.passwordFile ?? ''})`,
  );
  io.say('health: /healthz   metrics: /metrics   reload: kill -HUP ' + String(process.pid));
}
