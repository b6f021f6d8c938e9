// Which library a history/rollback/audit/archive/lifecycle command works on: the origin of a claas.yaml
// (--config) or a location given directly (--location, with --endpoint/--region/--profile for S3), and the
// encryption claas writes with there (the origin's sse/kmsKeyId, overridden by --sse/--kms-key-id).

import { join } from 'node:path';
import { badInput } from '../errors.js';
import { loadConfig } from '../config/load.js';
import { storeLocation, storeWriteSettings } from '../config/schema.js';
import type { ClaasConfig } from '../config/schema.js';
import { displayLocation, locationDefaults, parseLocation } from '../store/location.js';
import { openStore } from '../store/open.js';
import { DEFAULT_CONTROL_PREFIX, LEGACY_ARCHIVE_DIR } from '../store/private-keys.js';
import { privateAreaBase } from '../store/s3-key-map.js';
import { controlPrefixOf } from '../config/control-layout.js';
import type { Location, ObjectStore, WriteSettings } from '../store/types.js';

export interface TargetFlags {
  config?: string;
  location?: string;
  endpoint?: string;
  region?: string;
  profile?: string;
  sse?: string;
  kmsKeyId?: string;
}

export interface LibraryTarget {
  location: Location;
  display: string;
  config?: ClaasConfig;
  /** A name for rule ids and messages: the configuration's library name, else one made from the location. */
  name: string;
  /** Encryption (and, from the configuration, storage class) of what claas writes into the library. */
  write: WriteSettings;
}

const TARGET_HINT =
  'name the library with --config claas.yaml (its origin) or --location <s3://bucket/prefix | folder>';

/** Encryption from --sse/--kms-key-id, or undefined when neither is given. */
export function sseFromFlags(flags: Pick<TargetFlags, 'sse' | 'kmsKeyId'>): WriteSettings['sse'] | undefined {
  if (flags.sse === undefined) {
    if (flags.kmsKeyId !== undefined) throw badInput('--kms-key-id needs --sse aws:kms', '--kms-key-id');
    return undefined;
  }
  if (flags.sse === 'AES256') {
    if (flags.kmsKeyId !== undefined) throw badInput('--kms-key-id needs --sse aws:kms', '--kms-key-id');
    return { mode: 'AES256' };
  }
  if (flags.sse === 'aws:kms') {
    return { mode: 'aws:kms', ...(flags.kmsKeyId === undefined ? {} : { kmsKeyId: flags.kmsKeyId }) };
  }
  throw badInput(`--sse takes AES256 or aws:kms; got "${flags.sse}"`, '--sse');
}

function nameFrom(loc: Location): string {
  const raw =
    loc.kind === 's3'
      ? loc.prefix === ''
        ? loc.bucket
        : loc.prefix
      : (loc.path.split('/').pop() ?? 'library');
  return raw.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'library';
}

export async function resolveTarget(flags: TargetFlags): Promise<LibraryTarget> {
  if (flags.config !== undefined && flags.location !== undefined) {
    throw badInput('give either --config or --location, not both', '--location', TARGET_HINT);
  }
  const sse = sseFromFlags(flags);
  if (flags.config !== undefined) {
    for (const [flag, value] of [
      ['--endpoint', flags.endpoint],
      ['--region', flags.region],
      ['--profile', flags.profile],
    ] as const) {
      if (value !== undefined) {
        throw badInput(
          `${flag} comes from the configuration's origin with --config`,
          flag,
          'set it in claas.yaml',
        );
      }
    }
    const config = await loadConfig(flags.config);
    const location = storeLocation(config.origin);
    const write = storeWriteSettings(config.origin);
    if (sse !== undefined) write.sse = sse;
    return { location, display: displayLocation(location), config, name: config.library, write };
  }
  if (flags.location === undefined) throw badInput('which library?', '--location', TARGET_HINT);
  const location = parseLocation(flags.location, locationDefaults(flags));
  return {
    location,
    display: displayLocation(location),
    name: nameFrom(location),
    write: sse === undefined ? {} : { sse },
  };
}

/** The control prefix of the target's configuration, else the default (where its private area lives). */
export function targetControlPrefix(target: Pick<LibraryTarget, 'config'>): string {
  return target.config === undefined ? DEFAULT_CONTROL_PREFIX : controlPrefixOf(target.config);
}

/** Opens the library's store, writing with the target's settings. */
export function openTargetStore(
  target: LibraryTarget,
  write: WriteSettings = target.write,
): Promise<ObjectStore> {
  return openStore(target.location, { write, privateArea: { controlPrefix: targetControlPrefix(target) } });
}

/**
 * Where archives go by default: for an S3 library with a prefix, the library's private area
 * (`<controlPrefix>/libraries/<prefix>/.claas-archive`, outside the library prefix: issue 16); for a folder
 * or a library at the bucket root, `<library>/.claas-archive` as before. `legacy`: where older claas versions
 * put them (the same place, except for S3 libraries with a prefix).
 */
export function defaultArchiveLocations(target: Pick<LibraryTarget, 'location' | 'config'>): {
  current: Location;
  legacy: Location;
} {
  const legacy = childLocation(target.location, LEGACY_ARCHIVE_DIR);
  const loc = target.location;
  if (loc.kind !== 's3' || loc.prefix === '') return { current: legacy, legacy };
  const area = privateAreaBase(targetControlPrefix(target), loc.prefix);
  return { current: { ...loc, prefix: `${area}${LEGACY_ARCHIVE_DIR}` }, legacy };
}

/** A location below another one (the old default archive location is `<library>/.claas-archive`). */
export function childLocation(loc: Location, dir: string): Location {
  if (loc.kind === 'fs') return { kind: 'fs', path: join(loc.path, dir) };
  return { ...loc, prefix: loc.prefix === '' ? dir : `${loc.prefix}/${dir}` };
}

/** Another location given on the command line, with the library's endpoint/region/profile as defaults. */
export function otherLocation(text: string, like: Location): Location {
  return parseLocation(text, like.kind === 's3' ? locationDefaults(like) : {});
}
