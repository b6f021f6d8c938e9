// What the `claas archive` verbs share: where the archive is (--archive to read it, --to where snapshot writes
// it; default <library>/.claas-archive), the encryption archives are written with, library version lists.

import type { Command } from 'commander';
import { DEFAULT_ARCHIVE_DIR } from '../../../archive/snapshot-archive.js';
import { childLocation, otherLocation } from '../../../archive/target.js';
import type { LibraryTarget } from '../../../archive/target.js';
import type { Location, WriteSettings } from '../../../store/types.js';
import { defaulted } from '../../flags.js';
import { parsePositiveInt } from '../../options.js';

export const ARCHIVE_DEFAULT = `<library>/${DEFAULT_ARCHIVE_DIR}`;

/** --archive: the archive location a verb reads. */
export function addArchiveFlag(cmd: Command): Command {
  return cmd.addOption(defaulted('--archive <location>', 'the archive location to read', ARCHIVE_DEFAULT));
}

/** The archive location: the one given (with the library's endpoint/region/profile), else the default. */
export function archiveLocation(target: LibraryTarget, text: string | undefined): Location {
  return text === undefined
    ? childLocation(target.location, DEFAULT_ARCHIVE_DIR)
    : otherLocation(text, target.location);
}

/** Encryption only: archive documents and manifests are written in STANDARD. */
export function sseOnly(write: WriteSettings): WriteSettings {
  return write.sse === undefined ? {} : { sse: write.sse };
}

export function parseVersions(list: string[]): number[] {
  return list.map((v) => parsePositiveInt(v, 'library version'));
}
