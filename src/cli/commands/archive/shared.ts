// What the `claas archive` verbs share: where the archive is (--archive to read it, --to where snapshot writes
// it; default the library's private area, archive/target.ts defaultArchiveLocations, where reading verbs fall
// back to the old default <library>/.claas-archive while it holds the only archives), the encryption archives
// are written with, library version lists.

import type { Command } from 'commander';
import { DEFAULT_ARCHIVE_DIR } from '../../../archive/snapshot-archive.js';
import { defaultArchiveLocations, otherLocation } from '../../../archive/target.js';
import { displayLocation } from '../../../store/location.js';
import { openStore } from '../../../store/open.js';
import type { OpenStoreOptions } from '../../../store/open.js';
import type { LibraryTarget } from '../../../archive/target.js';
import type { Location, ObjectStore, WriteSettings } from '../../../store/types.js';
import { defaulted } from '../../flags.js';
import { parsePositiveInt } from '../../options.js';

export const ARCHIVE_DEFAULT = `<controlPrefix>/libraries/<prefix>/${DEFAULT_ARCHIVE_DIR} (S3), <library>/${DEFAULT_ARCHIVE_DIR} (folder)`;

/** --archive: the archive location a verb reads. */
export function addArchiveFlag(cmd: Command): Command {
  return cmd.addOption(defaulted('--archive <location>', 'the archive location to read', ARCHIVE_DEFAULT));
}

/** The archive location: the one given (with the library's endpoint/region/profile), else the default. */
export function archiveLocation(target: LibraryTarget, text: string | undefined): Location {
  return text === undefined ? defaultArchiveLocations(target).current : otherLocation(text, target.location);
}

/**
 * Opens the archive location (never relocating: an archive is not a library). `read`: with the default
 * location, an empty new default whose old one (inside the library prefix, before issue 16) holds archives
 * opens the old one, until `claas replication apply` moves them.
 */
export async function openArchive(
  target: LibraryTarget,
  text: string | undefined,
  opts: OpenStoreOptions & { read?: boolean } = {},
): Promise<ObjectStore> {
  const { read, ...open } = opts;
  const store = await openStore(archiveLocation(target, text), { ...open, privateArea: false });
  if (read !== true || text !== undefined) return store;
  const { current, legacy } = defaultArchiveLocations(target);
  if (displayLocation(current) === displayLocation(legacy) || !(await store.probe()).empty) return store;
  const old = await openStore(legacy, { privateArea: false });
  if ((await old.probe()).empty) {
    old.close();
    return store;
  }
  store.close();
  return old;
}

/** Encryption only: archive documents and manifests are written in STANDARD. */
export function sseOnly(write: WriteSettings): WriteSettings {
  return write.sse === undefined ? {} : { sse: write.sse };
}

export function parseVersions(list: string[]): number[] {
  return list.map((v) => parsePositiveInt(v, 'library version'));
}
