// GET /api/tenants (docs/api.md): each tenant with its granted libraries and what it fetched, summed over
// every gateway that shares its activity through the control prefix (only this gateway's counts when the
// tenants are in a local file), per gateway, and per library the last lib.json version it was served,
// marked "behind" when that is older than the newest version the gateway knows of the library (the
// origin's, when the origin is in gateway.prefer). Built from explicit fields: never a hash or a key id.

import type { AdminContext } from './api.js';
import { addRecords, emptyRecord } from './tenant-activity.js';
import type { TenantActivityRecord } from './tenant-activity.js';
import type { GatewayActivity } from './activity-share.js';

const iso = (ms: number): string => new Date(ms).toISOString();

interface Fetched {
  library: string;
  version: number;
  at: string;
  /** The newest version the gateway knows of the library (null: none known). */
  newest: number | null;
  behind: boolean;
}

function fetched(ctx: AdminContext, r: TenantActivityRecord): Fetched[] {
  return Object.entries(r.versions)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([library, f]) => {
      const newest = ctx.libraries.get(library)?.newestKnown() ?? null;
      return {
        library,
        version: f.version,
        at: iso(f.at),
        newest,
        behind: newest !== null && f.version < newest,
      };
    });
}

function counts(ctx: AdminContext, r: TenantActivityRecord): Record<string, unknown> {
  return {
    bytesServed: r.bytes,
    requests: r.requests,
    ...(r.lastSeen > 0 ? { lastSeen: iso(r.lastSeen) } : {}),
    fetched: fetched(ctx, r),
  };
}

export function tenantsDoc(ctx: AdminContext): unknown {
  const gateways: GatewayActivity[] = ctx.share?.gateways() ?? [
    { id: '', self: true, writtenAt: Date.now(), tenants: ctx.activity.all() },
  ];
  const shared = ctx.share !== undefined;
  return {
    since: iso(ctx.activity.startedAt),
    ...(ctx.tenantView === undefined ? {} : { view: ctx.tenantView.status() }),
    ...(ctx.share === undefined
      ? {}
      : {
          activity: ctx.share.status(),
          gateways: gateways.map((g) => ({ id: g.id, self: g.self, writtenAt: iso(g.writtenAt) })),
        }),
    tenants: ctx.auth.tenants().map((t) => {
      const per = gateways.flatMap((g) => {
        const r = g.tenants.get(t.name);
        return r === undefined ? [] : [{ id: g.id, r }];
      });
      const sum = per.reduce((acc, x) => addRecords(acc, x.r), emptyRecord());
      const total = counts(ctx, sum);
      return {
        name: t.name,
        libraries: [...t.libraries],
        created: t.created,
        ...(t.rotated === undefined ? {} : { rotated: t.rotated }),
        ...total,
        behind: (total.fetched as Fetched[]).some((f) => f.behind),
        ...(shared ? { gateways: per.map((x) => ({ id: x.id, ...counts(ctx, x.r) })) } : {}),
      };
    }),
  };
}
