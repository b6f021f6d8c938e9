// What the `claas run` source tests share: a configuration with sources around an origin store, a harness
// that polls every source and runs a sync step (collecting events), readers of the origin's items, audit
// entries and import records, and the folder scenario (add, change, delete across polls) that the unit test
// runs on a folder store and the integration test on Ceph.

import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClaasConfig, SourceConfig } from '../../src/config/schema.js';
import type { VcenterTarget } from '../../src/config/vcenters.js';
import { readAudit } from '../../src/publish/audit.js';
import { readLibraryState } from '../../src/publish/state.js';
import { newGuardMemory } from '../../src/run/guard.js';
import type { GuardMemory } from '../../src/run/guard.js';
import { openSources } from '../../src/run/sources/index.js';
import type { Source } from '../../src/run/sources/index.js';
import { syncLibrary } from '../../src/run/sync.js';
import type { PollOutcome, RunEvent, SyncOutcome } from '../../src/run/types.js';
import type { ObjectStore } from '../../src/store/types.js';

/** Runs fn with a fresh temporary folder, removed afterwards. */
export async function withWork(fn: (work: string) => Promise<void>): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'claas-run-'));
  try {
    await fn(work);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** A resolved configuration for `sources` around an origin (the origin's settings are not used here). */
export function runConfig(file: string, sources: SourceConfig[], vcenters?: VcenterTarget[]): ClaasConfig {
  return {
    file,
    library: 'run-test',
    origin: { name: 'origin', location: 's3://unused/lib' },
    replicas: [],
    replication: {},
    sources,
    ...(vcenters === undefined ? {} : { vcenters }),
  };
}

export function folderSource(path: string): SourceConfig {
  return { kind: 'folder', path, intervalMs: 30_000, maxDelete: { percent: 50 } };
}

/** Polls and steps as the service does, one call at a time, with every event kept. */
export class SyncHarness {
  readonly memory: GuardMemory = newGuardMemory();
  readonly outcomes = new Map<string, PollOutcome>();
  readonly events: RunEvent[] = [];
  readonly sources: Source[];

  constructor(
    readonly config: ClaasConfig,
    readonly origin: ObjectStore,
    env: NodeJS.ProcessEnv,
    o: { allowDelete?: boolean; pollTimeoutMs?: number } = {},
  ) {
    this.sources = openSources(config, {
      env,
      ...(o.pollTimeoutMs === undefined ? {} : { pollTimeoutMs: o.pollTimeoutMs }),
    });
    this.allowDelete = o.allowDelete ?? false;
  }

  allowDelete: boolean;

  /** Polls every source once; returns the outcomes by source name. */
  async poll(): Promise<Map<string, PollOutcome>> {
    for (const s of this.sources) this.outcomes.set(s.name, await s.poll(new AbortController().signal));
    return this.outcomes;
  }

  /** One sync step with the latest polls; events of this step only. */
  async step(): Promise<{ outcome: SyncOutcome; events: RunEvent[] }> {
    const events: RunEvent[] = [];
    const outcome = await syncLibrary({
      config: this.config,
      origin: this.origin,
      sources: this.sources,
      outcomes: new Map(this.outcomes),
      memory: this.memory,
      allowDelete: this.allowDelete,
      signal: new AbortController().signal,
      onEvent: (e) => {
        events.push(e);
        this.events.push(e);
      },
    });
    return { outcome, events };
  }

  /** Poll, then step. */
  async cycle(): Promise<{ outcome: SyncOutcome; events: RunEvent[] }> {
    await this.poll();
    return this.step();
  }

  async close(): Promise<void> {
    for (const s of this.sources) await s.close();
  }
}

/** The origin's items by name -> item version, and the library version ({} and 0 when empty). */
export async function originItems(
  store: ObjectStore,
): Promise<{ version: number; items: Record<string, string> }> {
  const state = await readLibraryState(store);
  if (state.kind !== 'claas') return { version: 0, items: {} };
  return {
    version: Number(state.lib.version),
    items: Object.fromEntries(state.snapshot.items.map((i) => [i.name, i.version])),
  };
}

async function writeItem(dir: string, name: string, content: string): Promise<void> {
  await mkdir(join(dir, name), { recursive: true });
  await writeFile(join(dir, name, 'data.txt'), content);
}

/**
 * A folder source through syncLibrary across polls: items added, one changed (only it gets a new version),
 * one deleted (pending on the first poll without it, removed on the second), an empty folder held, a
 * folder that is gone held; every committed version has a 'publish' audit entry naming the folder.
 */
export async function folderScenario(origin: ObjectStore, work: string): Promise<void> {
  const folder = join(work, 'templates');
  await writeItem(folder, 'alpha', 'alpha 1');
  await writeItem(folder, 'beta', 'beta 1');
  await writeItem(folder, 'gamma', 'gamma 1');
  const h = new SyncHarness(runConfig(join(work, 'claas.yaml'), [folderSource(folder)]), origin, {
    CLAAS_CACHE_DIR: join(work, 'cache'),
  });
  try {
    const first = await h.cycle();
    assert.equal(first.outcome.version?.number, 1);
    assert.deepEqual(first.outcome.version?.added, ['alpha', 'beta', 'gamma']);
    assert.deepEqual(await originItems(origin), { version: 1, items: { alpha: '1', beta: '1', gamma: '1' } });

    // Nothing changed: nothing committed.
    const idle = await h.cycle();
    assert.equal(idle.outcome.version, undefined);
    assert.equal((await originItems(origin)).version, 1);

    // A changed item gets a new version; the others keep theirs.
    await writeFile(join(folder, 'beta', 'data.txt'), 'beta 2, longer');
    const changed = await h.cycle();
    assert.deepEqual(changed.outcome.version?.changed, ['beta']);
    assert.deepEqual(await originItems(origin), { version: 2, items: { alpha: '1', beta: '2', gamma: '1' } });
    const published = changed.events.find((e) => e.type === 'published');
    assert.ok(published?.type === 'published' && published.sources[0] === folder);

    // A deleted item: pending first, removed on the confirming poll.
    await rm(join(folder, 'gamma'), { recursive: true });
    const pending = await h.cycle();
    assert.equal(pending.outcome.version, undefined);
    assert.deepEqual(pending.outcome.verdicts[folder]?.pending, ['gamma']);
    assert.ok(pending.events.some((e) => e.type === 'pending-delete' && e.items.includes('gamma')));
    assert.ok('gamma' in (await originItems(origin)).items);
    const removed = await h.cycle();
    assert.deepEqual(removed.outcome.version?.removed, ['gamma']);
    assert.deepEqual(await originItems(origin), { version: 3, items: { alpha: '1', beta: '2' } });

    // An empty folder is never applied, nor is one that is gone.
    await rm(join(folder, 'alpha'), { recursive: true });
    await rm(join(folder, 'beta'), { recursive: true });
    for (const _ of [1, 2]) {
      const empty = await h.cycle();
      assert.equal(empty.outcome.version, undefined);
      assert.match(empty.outcome.verdicts[folder]?.held ?? '', /empty/);
      assert.ok(empty.events.some((e) => e.type === 'held'));
    }
    await rm(folder, { recursive: true });
    const gone = await h.cycle();
    assert.equal(h.outcomes.get(folder)?.ok, false);
    assert.match(gone.outcome.verdicts[folder]?.held ?? '', /listing failed/);
    assert.deepEqual(await originItems(origin), { version: 3, items: { alpha: '1', beta: '2' } });

    // Every version has its audit entry, naming the folder and what it changed.
    // Entries of one second are ordered by their random key: order them by version.
    const audit = (await readAudit(origin, { actions: ['publish'] })).entries.sort(
      (a, b) => (a.library?.version ?? 0) - (b.library?.version ?? 0),
    );
    assert.deepEqual(
      audit.map((e) => e.library?.version),
      [1, 2, 3],
    );
    const sources = audit[1]?.details?.sources as { path?: string; read?: string[] }[];
    assert.equal(sources[0]?.path, folder);
    assert.deepEqual(sources[0]?.read, ['beta']);
    assert.deepEqual((audit[2]?.details?.sources as { removed?: string[] }[])[0]?.removed, ['gamma']);
  } finally {
    await h.close();
  }
}
