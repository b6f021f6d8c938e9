// Restoring an archive: as a NEW version of the library it came from (its items published again through the
// publish engine, so subscribers re-sync what changed), or into an empty location as the complete library it
// was (same library id, item ids and versions), resumable, files copied through the copy engine.

import type { ObjectStore, WriteSettings } from '../store/types.js';
import type { VersionSnapshot } from '../vcsp/types.js';
import { hrefToKey } from '../vcsp/hrefs.js';
import { parseSnapshot } from '../vcsp/schema.js';
import { ClaasError } from '../errors.js';
import { LIB_KEY, snapshotKey } from '../publish/layout.js';
import { readLibraryState } from '../publish/state.js';
import { appendAudit } from '../publish/audit.js';
import type { Actor } from '../publish/identity.js';
import { copyFiles } from './copy-files.js';
import { META, RESTORE_PENDING_KEY, readManifest, sha256 } from './manifest.js';
import type { ArchiveEvent, ArchiveManifest } from './manifest.js';
import { republish, republishSettings, storedItemOf } from './republish.js';
import type { RepublishResult, RepublishSettings } from './republish.js';

/** The archived version's snapshot, checked against the manifest. */
async function archivedSnapshot(
  archive: ObjectStore,
  id: string,
  manifest: ArchiveManifest,
): Promise<VersionSnapshot> {
  const key = snapshotKey(manifest.library.version);
  const bytes = await archive.readBytes(`${id}/${key}`);
  const expected = manifest.files.find((f) => f.key === key);
  if (bytes === undefined || expected === undefined || sha256(bytes) !== expected.sha256) {
    throw new ClaasError('INTEGRITY', `archive ${id}: the version snapshot is missing or altered`, {
      input: `${archive.display}/${id}/${key}`,
      hint: `run \`claas archive verify ${id}\``,
    });
  }
  return parseSnapshot(bytes.toString('utf8'), `${archive.display}/${id}/${key}`);
}

export interface RestoreAsVersionOptions extends RepublishSettings {
  archive: ObjectStore;
  id: string;
  /** The library to publish the archived content into, as a new version. */
  library: ObjectStore;
  /** Restore into a library with another id. */
  force?: boolean;
}

/** Publishes an archived version's items as a new library version (subscribers re-sync what changed). */
export async function restoreAsNewVersion(
  o: RestoreAsVersionOptions,
): Promise<{ id: string; restoredVersion: number; result: RepublishResult }> {
  const { manifest } = await readManifest(o.archive, o.id);
  const snapshot = await archivedSnapshot(o.archive, o.id, manifest);
  const state = await readLibraryState(o.library);
  if (state.kind === 'claas' && state.lib.id !== manifest.library.id && o.force !== true) {
    throw new ClaasError(
      'CONFLICT',
      `archive ${o.id} is of library ${manifest.library.id} ("${manifest.library.name}"), ${o.library.display} holds library ${state.lib.id}`,
      {
        input: `${o.archive.display}/${o.id}`,
        hint: 'restore it into a new location with --to, or pass --force to publish its items into this library',
      },
    );
  }
  const items = snapshot.items.map((item) =>
    storedItemOf(item, snapshot, o.archive, (href) => `${o.id}/${hrefToKey(href, item.name)}`),
  );
  const result = await republish({
    store: o.library,
    items,
    action: 'restore',
    ...republishSettings(o),
    summary: `restore of library version ${manifest.library.version} from archive ${o.id}`,
    details: {
      archiveId: o.id,
      archiveLocation: o.archive.display,
      restoredLibraryVersion: manifest.library.version,
    },
  });
  return { id: o.id, restoredVersion: manifest.library.version, result };
}

export interface RestoreToLocationOptions {
  archive: ObjectStore;
  id: string;
  /** An empty location: receives the archived library as it was (same ids and versions). */
  target: ObjectStore;
  actor: Actor;
  write?: WriteSettings;
  concurrency?: number;
  onEvent?: (e: ArchiveEvent) => void;
  signal?: AbortSignal;
}

/**
 * Copies an archived version into an empty location as a complete library (same library id, item ids and
 * versions): files first, then the snapshot, item JSON, the item index and lib.json last, as publish does.
 */
export async function restoreToLocation(o: RestoreToLocationOptions): Promise<{
  id: string;
  location: string;
  library: ArchiveManifest['library'];
  files: number;
  bytes: number;
  auditKey: string;
}> {
  const { manifest } = await readManifest(o.archive, o.id);
  const marker = { archiveId: o.id, archiveLocation: o.archive.display, libraryId: manifest.library.id };
  const probe = await o.target.probe();
  let resume = false;
  if (!probe.empty) {
    // A restore of this archive that was interrupted (no lib.json yet) is continued; anything else is refused.
    const pending = await o.target.readBytes(RESTORE_PENDING_KEY);
    resume =
      pending !== undefined &&
      pending.toString('utf8').trim() === JSON.stringify(marker) &&
      (await o.target.head(LIB_KEY)) === undefined;
    if (!resume) {
      throw new ClaasError('NOT_A_LIBRARY', `${o.target.display} is not empty`, {
        input: o.target.display,
        hint: 'restore into a new, empty location; to restore into the library itself, omit --to',
      });
    }
  } else {
    await o.target.put(
      RESTORE_PENDING_KEY,
      { kind: 'bytes', data: Buffer.from(`${JSON.stringify(marker)}\n`) },
      META,
    );
  }
  const files = manifest.files.filter((f) => f.kind === 'file');
  await copyFiles(
    o.archive,
    o.target,
    files.map((f) => ({ ...f, fromKey: `${o.id}/${f.key}`, toKey: f.key })),
    {
      ...(o.write === undefined ? {} : { write: o.write }),
      skipPresent: resume,
      ...(o.concurrency === undefined ? {} : { concurrency: o.concurrency }),
      ...(o.onEvent === undefined ? {} : { onEvent: o.onEvent }),
      ...(o.signal === undefined ? {} : { signal: o.signal }),
    },
  );
  const rank = (key: string): number =>
    key.startsWith('.claas/') ? 0 : key === LIB_KEY ? 3 : /^items-\d+\.json$/.test(key) ? 2 : 1;
  const docs = manifest.files.filter((f) => f.kind === 'document').sort((a, b) => rank(a.key) - rank(b.key));
  for (const d of docs) {
    const bytes = await o.archive.readBytes(`${o.id}/${d.key}`);
    if (bytes === undefined || sha256(bytes) !== d.sha256) {
      throw new ClaasError('INTEGRITY', `archive ${o.id}: ${d.key} is missing or altered`, {
        input: `${o.archive.display}/${o.id}/${d.key}`,
        hint: `run \`claas archive verify ${o.id}\``,
      });
    }
    await o.target.put(d.key, { kind: 'bytes', data: bytes }, { ...META, sha256: d.sha256 });
  }
  await o.target.delete([RESTORE_PENDING_KEY]);
  const audit = await appendAudit(o.target, {
    action: 'restore',
    actor: o.actor,
    library: { id: manifest.library.id, name: manifest.library.name, version: manifest.library.version },
    summary: `library version ${manifest.library.version} restored from archive ${o.id} (${o.archive.display})`,
    details: { archiveId: o.id, archiveLocation: o.archive.display },
  });
  return {
    id: o.id,
    location: o.target.display,
    library: manifest.library,
    files: manifest.totals.files,
    bytes: manifest.totals.bytes,
    auditKey: audit.key,
  };
}
