// What `claas lifecycle plan` and `apply` share: the rule flags, the rules they describe, the library's S3
// bucket, and the plan: the desired rules merged by rule ID with what the bucket has, with notes.

import type { Command } from 'commander';
import {
  DEFAULT_MIN_TRANSITION_SIZE,
  desiredLifecycleRules,
  lifecycleIdPrefix,
  mergeLifecycle,
} from '../../../archive/lifecycle.js';
import type { LifecycleMerge, LifecycleRule, LifecycleSettings } from '../../../archive/lifecycle.js';
import { readLifecycleRules, readVersioning } from '../../../archive/lifecycle-s3.js';
import { DEFAULT_ARCHIVE_DIR } from '../../../archive/snapshot-archive.js';
import { defaultArchiveLocations, openTargetStore, resolveTarget } from '../../../archive/target.js';
import type { LibraryTarget, TargetFlags } from '../../../archive/target.js';
import { badInput } from '../../../errors.js';
import { endpointDisplay } from '../../../store/endpoints.js';
import type { ObjectStore, S3Location } from '../../../store/types.js';
import { addTargetFlags, defaulted } from '../../flags.js';
import { parseSize, targetFlags } from '../../options.js';

/** The rules the flags ask for; library and prefix come from the target at run time. */
export type RuleSettings = Omit<LifecycleSettings, 'library' | 'prefix' | 'archive'> & {
  archive?: Omit<NonNullable<LifecycleSettings['archive']>, 'prefix'> & { prefix?: string };
};

export interface LifecycleOptions {
  target: TargetFlags;
  rules: RuleSettings;
}

export interface RuleFlags extends TargetFlags {
  abortMultipartDays: string;
  noncurrentDays: string;
  keepNoncurrent: string;
  archiveClass: string;
  archiveAfterDays: string;
  archivePrefix?: string;
  iaClass: string;
  iaAfterDays?: string;
  minTransitionSize: string;
  expireDeleteMarkers: boolean;
}

export function addRuleFlags(cmd: Command): Command {
  cmd
    .option('--abort-multipart-days <n>', 'abort incomplete multipart uploads after n days (0: no rule)', '7')
    .option('--noncurrent-days <n>', 'expire noncurrent object versions after n days (0: no rule)', '30')
    .option(
      '--keep-noncurrent <k>',
      '...keeping the newest k noncurrent versions of each key (0: none kept)',
      '3',
    )
    .option('--no-expire-delete-markers', 'keep delete markers that hide no version any more')
    .option(
      '--archive-class <class>',
      'move archive copies to GLACIER, DEEP_ARCHIVE or GLACIER_IR ("none": no rule)',
      'GLACIER',
    )
    .option('--archive-after-days <n>', 'days after which archive copies move', '1')
    .addOption(
      defaulted(
        '--archive-prefix <prefix>',
        'key prefix of the archives',
        `the default archive location: <controlPrefix>/libraries/<library prefix>/${DEFAULT_ARCHIVE_DIR}`,
      ),
    )
    .option(
      '--ia-after-days <n>',
      'also move library data files to an infrequent-access class after n days (>= 30)',
    )
    .option(
      '--ia-class <class>',
      'the infrequent-access class: STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING',
      'STANDARD_IA',
    )
    .option(
      '--min-transition-size <size>',
      'transition only objects larger than this (0: all)',
      `${DEFAULT_MIN_TRANSITION_SIZE / 1024}KiB`,
    );
  return addTargetFlags(cmd);
}

function days(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0)
    throw badInput(`${flag} takes a whole number of days; got "${text}"`, flag);
  return n;
}

/** The rules from the flags ("0" or "none" turns a rule off). */
export function parseRules(flags: RuleFlags): RuleSettings {
  const abort = days(flags.abortMultipartDays, '--abort-multipart-days');
  const noncurrent = days(flags.noncurrentDays, '--noncurrent-days');
  const keep = days(flags.keepNoncurrent, '--keep-noncurrent');
  const minSize = parseSize(flags.minTransitionSize, '--min-transition-size');
  const bySize = minSize === 0 ? {} : { minSize };
  return {
    ...(abort === 0 ? {} : { abortMultipartDays: abort }),
    ...(noncurrent === 0
      ? {}
      : { noncurrentDays: noncurrent, ...(keep === 0 ? {} : { keepNoncurrent: keep }) }),
    expireDeleteMarkers: flags.expireDeleteMarkers,
    ...(flags.archiveClass.toLowerCase() === 'none'
      ? {}
      : {
          archive: {
            ...(flags.archivePrefix === undefined ? {} : { prefix: flags.archivePrefix }),
            storageClass: flags.archiveClass,
            days: days(flags.archiveAfterDays, '--archive-after-days'),
            ...bySize,
          },
        }),
    ...(flags.iaAfterDays === undefined
      ? {}
      : {
          infrequentAccess: {
            storageClass: flags.iaClass,
            days: days(flags.iaAfterDays, '--ia-after-days'),
            ...bySize,
          },
        }),
  };
}

export function parse(_args: [], flags: RuleFlags): LifecycleOptions {
  return { target: targetFlags(flags), rules: parseRules(flags) };
}

/**
 * The settings for one library at one prefix. The archive prefix defaults to `defaultArchivePrefix` (the
 * default archive location's prefix: the library's private area), else <prefix>/.claas-archive.
 */
export function settingsFor(
  rules: RuleSettings,
  library: string,
  prefix: string,
  defaultArchivePrefix?: string,
): LifecycleSettings {
  const { archive, ...rest } = rules;
  const archivePrefix =
    defaultArchivePrefix ?? (prefix === '' ? DEFAULT_ARCHIVE_DIR : `${prefix}/${DEFAULT_ARCHIVE_DIR}`);
  return {
    library,
    prefix,
    ...rest,
    ...(archive === undefined ? {} : { archive: { ...archive, prefix: archive.prefix ?? archivePrefix } }),
  };
}

export interface LifecycleTargetStore {
  target: LibraryTarget;
  store: ObjectStore;
  location: S3Location;
}

/** The library's store, which must be an S3 bucket. */
export async function s3Target(flags: TargetFlags): Promise<LifecycleTargetStore> {
  const target = await resolveTarget(flags);
  const location = target.location;
  if (location.kind !== 's3') {
    throw badInput(
      'lifecycle rules are a feature of S3 buckets',
      target.display,
      'give an s3:// library location',
    );
  }
  const store = await openTargetStore(target);
  if (store.features.bucket === undefined) throw badInput('lifecycle rules need an S3 store', target.display);
  return { target, store, location };
}

export interface Plan {
  bucket: string;
  endpoint: string;
  library: string;
  prefix: string;
  versioning: string;
  desired: LifecycleRule[];
  merge: LifecycleMerge;
  notes: string[];
}

function planNotes(
  settings: LifecycleSettings,
  merge: LifecycleMerge,
  bucket: string,
  versioning?: string,
): string[] {
  const notes: string[] = [];
  if (versioning !== 'Enabled' && settings.noncurrentDays !== undefined) {
    notes.push(
      `Versioning of ${bucket} is ${versioning ?? 'off'}: the noncurrent-version rule only acts once versioning is ` +
        'enabled (S3 replication needs it; `claas replication apply` enables it).',
    );
  }
  if (settings.archive !== undefined) {
    notes.push(
      `Objects under ${settings.archive.prefix}/ move to ${settings.archive.storageClass} after ${settings.archive.days} days` +
        (settings.archive.minSize === undefined
          ? ''
          : ` (only objects over ${settings.archive.minSize} bytes: manifests stay readable)`) +
        '; reading them back (claas archive verify / restore) then needs an S3 restore (RestoreObject) first.',
    );
  }
  if (merge.changes.some((c) => c.change === 'foreign')) {
    notes.push(
      'Rules claas did not write are kept as they are; PutBucketLifecycleConfiguration replaces the whole set, so they are written back unchanged.',
    );
  }
  return notes;
}

export async function makePlan(rules: RuleSettings, t: LifecycleTargetStore): Promise<Plan> {
  const loc = t.location;
  const archiveDefault = defaultArchiveLocations(t.target).current;
  const settings = settingsFor(
    rules,
    t.target.name,
    loc.prefix,
    archiveDefault.kind === 's3' ? archiveDefault.prefix : undefined,
  );
  const desired = desiredLifecycleRules(settings);
  const [existing, versioning] = await Promise.all([readLifecycleRules(t.store), readVersioning(t.store)]);
  const merge = mergeLifecycle(existing, desired, lifecycleIdPrefix(t.target.name));
  return {
    bucket: loc.bucket,
    endpoint: endpointDisplay(loc.endpoint, loc.region),
    library: t.target.name,
    prefix: loc.prefix,
    versioning: versioning ?? 'Disabled',
    desired,
    merge,
    notes: planNotes(settings, merge, loc.bucket, versioning),
  };
}
