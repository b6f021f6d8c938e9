// The sources of `claas run`: one per entry of claas.yaml's `sources:` (a folder, a vCenter library, a VCSP
// URL). A source is polled cheaply on its interval (a listing with a fingerprint per item and a token for
// the whole listing; never a download) and, when a sync step needs its items, prepared: the items read
// again only where they changed (the folder's stat-keyed hash cache, the import record of remote sources).

import { ClaasError } from '../../errors.js';
import type { ClaasConfig, SourceConfig } from '../../config/schema.js';
import type { SourceItem } from '../../content/types.js';
import type { LibraryState } from '../../publish/state.js';
import type { ImportEvent } from '../../sources/import.js';
import type { ObjectStore } from '../../store/types.js';
import type { PollOutcome } from '../types.js';
import { openFolderSource } from './folder.js';
import { openVcenterSource } from './vcenter.js';
import { openVcspSource } from './vcsp.js';

/** What a sync step hands a source to read its items for the next version. */
export interface PrepareContext {
  /** The library's origin: remote items are staged in it, files it holds already are reused. */
  store: ObjectStore;
  /** What the origin holds now. */
  state: LibraryState;
  /** The items wanted (names the latest listing offers that the guard keeps). */
  only: ReadonlySet<string>;
  signal: AbortSignal;
  onEvent?: (e: ImportEvent) => void;
}

/** A source's items for one publish, and what to do once it committed (or failed). */
export interface PreparedSource {
  items: SourceItem[];
  /** Items whose content was read from the source in this step (the rest was reused). */
  read: string[];
  /** Writes what lets the next step skip unchanged items (a remote's import record). */
  commit(): Promise<void>;
  /** Removes what preparing left behind (staged files); safe to call whatever happened. */
  cleanup(): Promise<void>;
}

export interface Source {
  readonly config: SourceConfig;
  /** As messages name it (SourceListing.source). */
  readonly name: string;
  /** Cheap listing, no downloads; never throws (failures come back as {ok:false, problem}); bounded total time. */
  poll(signal: AbortSignal): Promise<PollOutcome>;
  /**
   * The items of the latest good listing, for a sync step (throws what reading them hit). Only items that
   * changed since they were last read are read again.
   */
  prepare(ctx: PrepareContext): Promise<PreparedSource>;
  /** What the audit entry of a version says about this source. */
  describe(): Record<string, string>;
  close(): Promise<void>;
}

export interface OpenSourcesOptions {
  env?: NodeJS.ProcessEnv;
  /** Longest a poll may take before it counts as failed (default POLL_TIMEOUT_MS). */
  pollTimeoutMs?: number;
}

export { POLL_TIMEOUT_MS } from './poll.js';

/** The sources of a configuration, in file order; nothing is contacted yet. Throws ClaasError on bad settings. */
export function openSources(config: ClaasConfig, o: OpenSourcesOptions = {}): Source[] {
  const env = o.env ?? process.env;
  const timeout = o.pollTimeoutMs === undefined ? {} : { pollTimeoutMs: o.pollTimeoutMs };
  const sources = (config.sources ?? []).map((s): Source => {
    switch (s.kind) {
      case 'folder':
        return openFolderSource(s, { env, ...timeout });
      case 'vcenter': {
        const target = config.vcenters?.find((v) => v.name.toLowerCase() === s.vcenter.toLowerCase());
        if (target === undefined) {
          throw new ClaasError('BAD_INPUT', `sources: no vCenter "${s.vcenter}" in vcenters:`, {
            input: config.file,
            hint: 'add it to the vcenters: section (name, server, user, passwordFile, thumbprint or caFile)',
          });
        }
        return openVcenterSource(s, target, { env, ...timeout });
      }
      case 'vcsp':
        return openVcspSource(s, timeout);
    }
  });
  const names = new Map<string, number>();
  for (const [i, s] of sources.entries()) {
    const first = names.get(s.name);
    if (first !== undefined) {
      throw new ClaasError(
        'BAD_INPUT',
        `sources[${first}] and sources[${i}] are the same source: ${s.name}`,
        {
          input: config.file,
          hint: 'list each source once',
        },
      );
    }
    names.set(s.name, i);
  }
  return sources;
}
