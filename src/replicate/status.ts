// `claas status`: for the origin and every replica, the newest library version that is complete and
// consistent there, what is missing or wrong, and how far it lags behind the origin, from LIST pages (one
// listing per store) plus a handful of GETs (lib.json, snapshots) and HEADs (only objects whose ETag differs
// from the origin's). Nothing here prints; the CLI renders the report. The rule that makes a store lagging
// or broken is in status-rule.ts; the origin's check in status-store.ts, a replica's in status-replica.ts.

import type { ClaasConfig } from '../config/schema.js';
import { ClaasError } from '../errors.js';
import { closeStore } from '../store/open.js';
import type { ObjectStore } from '../store/types.js';
import { hasCrossAccountNative, legacyPrivateDataOf, legacyPrivateNote } from './apply-private-data.js';
import { listAll } from './consistency.js';
import { openReplicaStore } from './open-stores.js';
import { checkReplica } from './status-replica.js';
import { DEFAULT_SETTLE_MS, STATUS_RULE, overallExitCode } from './status-rule.js';
import { checkOrigin, emptyStatus } from './status-store.js';
import type { StatusOptions, StoreStatus } from './status-store.js';

export {
  DEFAULT_SETTLE_MS,
  MIRROR_EMPTY,
  STATUS_RULE,
  classifyMissing,
  formatAge,
  overallExitCode,
} from './status-rule.js';
export type { MissingFacts } from './status-rule.js';
export type { MissingObject, StatusOptions, StoreState, StoreStatus } from './status-store.js';

export interface StatusReport {
  library: string;
  checkedAt: string;
  state: 'consistent' | 'lagging' | 'broken' | 'error' | 'empty';
  exitCode: number;
  origin: { version?: number; committedAt?: string };
  settleSeconds: number;
  stores: StoreStatus[];
  requests: number;
  rule: string;
  /**
   * Provider-private objects an older claas left under the library prefix of a library with a cross-account
   * native replica (its rule replicates them until `claas replication apply` moves them), issue 16.
   */
  privateData?: string;
}

/** One round of status for every store of a configuration. */
export async function checkStatus(config: ClaasConfig, opts: StatusOptions = {}): Promise<StatusReport> {
  const now = (opts.now ?? (() => new Date()))();
  const settleMs = opts.settleMs ?? DEFAULT_SETTLE_MS;
  const names = (opts.replicas ?? config.replicas.map((r) => r.name)).map((n) => {
    const r = config.replicas.find((x) => x.name.toLowerCase() === n.toLowerCase());
    if (r === undefined) {
      throw new ClaasError('BAD_INPUT', `${config.file} has no replica named "${n}"`, {
        input: n,
        hint: `replicas: ${config.replicas.map((x) => x.name).join(', ') || '(none)'}`,
      });
    }
    return r.name;
  });
  // Every store is listed at once: the replicas' listings do not wait for the origin's.
  const listings = new Map(
    names.map((name) => {
      const p = (async () => {
        let store: ObjectStore | undefined;
        try {
          store = await (opts.openReplica ?? ((c, n) => openReplicaStore(c, n)))(config, name);
          return { store, index: await listAll(store) };
        } catch (error) {
          return { store: store as ObjectStore, error };
        }
      })();
      return [name, p] as const;
    }),
  );
  const { status: originStatus, view } = await checkOrigin(config, opts);
  const stores: StoreStatus[] = [originStatus];
  let privateData: string | undefined;
  try {
    const replicas = await Promise.all(
      names.map(async (name) => {
        if (view === undefined) {
          closeStore((await listings.get(name)!).store);
          const s = emptyStatus(
            name,
            'replica',
            undefined,
            config.replicas.find((r) => r.name === name)?.mode,
          );
          s.state = 'error';
          s.error = {
            code: 'NOT_FOUND',
            message: 'the origin could not be read, so nothing to compare with',
          };
          return s;
        }
        return checkReplica(config, name, view, { ...opts, settleMs, now }, listings.get(name)!);
      }),
    );
    stores.push(...replicas);
    if (view !== undefined && hasCrossAccountNative(config)) {
      // One LIST of <prefix>/.claas; a credential that may not list there only loses the note.
      privateData = legacyPrivateNote(config, await legacyPrivateDataOf(view.store).catch(() => undefined));
    }
  } finally {
    if (view !== undefined) {
      originStatus.requests += view.snapshots.requests;
      closeStore(view.store);
    }
  }
  const exitCode = overallExitCode(stores);
  const state: StatusReport['state'] =
    exitCode === 2
      ? 'broken'
      : stores.some((s) => s.state === 'error')
        ? 'error'
        : exitCode === 1
          ? 'lagging'
          : originStatus.state === 'empty'
            ? 'empty'
            : 'consistent';
  return {
    library: config.library,
    checkedAt: now.toISOString(),
    state,
    exitCode,
    origin: {
      ...(view?.version === undefined ? {} : { version: view.version }),
      ...(view?.snapshot === undefined ? {} : { committedAt: view.snapshot.committedAt }),
    },
    settleSeconds: Math.round(settleMs / 1000),
    stores,
    requests: stores.reduce((n, s) => n + s.requests, 0),
    rule: STATUS_RULE,
    ...(privateData === undefined ? {} : { privateData }),
  };
}
