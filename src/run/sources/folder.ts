// A folder as a source of `claas run`: polled by listing it as `claas publish` would (which entries are
// items, with which files; OVF descriptors and OVA headers checked) without hashing anything: an item's
// fingerprint is its files' names, sizes, mtimes and inodes. Prepared by the publish scan itself, whose
// stat-keyed hash cache re-hashes only files that changed.

import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { planSource } from '../../content/scan-plan.js';
import type { ItemPlan } from '../../content/scan-plan.js';
import { defaultHashCachePath } from '../../content/hash-cache.js';
import { readFolderSource } from '../../sources/folder.js';
import type { SourceConfig } from '../../config/schema.js';
import type { ListedItem, SourceListing } from '../types.js';
import type { PrepareContext, PreparedSource, Source } from './index.js';
import { POLL_TIMEOUT_MS, boundedPoll, listingToken } from './poll.js';

type FolderConfig = Extract<SourceConfig, { kind: 'folder' }>;

/** What changes whenever an item's bytes may have changed, read from stat only. */
async function fingerprintOf(plan: ItemPlan): Promise<string> {
  const h = createHash('sha256');
  if (plan.kind === 'ova') {
    const st = await stat(plan.sourcePath);
    h.update(`ova\u0000${st.size}\u0000${st.mtimeMs}\u0000${st.ino}`);
  } else {
    h.update(plan.type);
    for (const f of plan.files) h.update(`\u0000${f.name}\u0001${f.size}\u0001${f.mtimeMs}\u0001${f.ino}`);
  }
  return h.digest('hex').slice(0, 24);
}

export function openFolderSource(
  config: FolderConfig,
  o: { env: NodeJS.ProcessEnv; pollTimeoutMs?: number },
): Source {
  const name = config.path;
  const cacheFile = defaultHashCachePath(o.env);
  /** Fingerprints of the items as they were last read by prepare. */
  let readBefore = new Map<string, string>();
  let latest = new Map<string, string>();

  const list = async (): Promise<SourceListing> => {
    const plan = await planSource(config.path);
    const items: ListedItem[] = [];
    for (const p of plan.plans) items.push({ name: p.name, fingerprint: await fingerprintOf(p) });
    latest = new Map(items.map((i) => [i.name, i.fingerprint]));
    return { source: name, kind: 'folder', items, vmtx: [], requests: 0, token: listingToken(items) };
  };

  return {
    config,
    name,
    poll: (signal) => boundedPoll(name, o.pollTimeoutMs ?? POLL_TIMEOUT_MS, signal, list),
    async prepare(ctx: PrepareContext): Promise<PreparedSource> {
      const input = await readFolderSource(config.path, { cacheFile, signal: ctx.signal });
      const items = input.items.filter((i) => ctx.only.has(i.name));
      const read = items.filter((i) => readBefore.get(i.name) !== latest.get(i.name)).map((i) => i.name);
      const seen = new Map(latest);
      return {
        items,
        read,
        commit: () => {
          readBefore = seen;
          return Promise.resolve();
        },
        cleanup: () => Promise.resolve(),
      };
    },
    describe: () => ({ kind: 'folder', path: config.path }),
    close: () => Promise.resolve(),
  };
}
