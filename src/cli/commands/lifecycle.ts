// `claas lifecycle plan|apply`: lifecycle rules for the library's bucket, merged by rule ID with what the
// bucket has, applied only when something changes, and read back.

import type { Command } from 'commander';
import { appendAudit } from '../../publish/audit.js';
import { resolveActor } from '../../publish/identity.js';
import { isS3Store } from '../../archive/copy.js';
import {
  DEFAULT_MIN_TRANSITION_SIZE,
  desiredLifecycleRules,
  lifecycleIdPrefix,
  lifecycleTerraform,
  mergeLifecycle,
  readBackDifferences,
} from '../../archive/lifecycle.js';
import type { LifecycleMerge, LifecycleRule, LifecycleSettings } from '../../archive/lifecycle.js';
import { DEFAULT_ARCHIVE_DIR } from '../../archive/snapshot-archive.js';
import { openTargetStore, resolveTarget } from '../../archive/target.js';
import type { LibraryTarget, TargetFlags } from '../../archive/target.js';
import { EXIT, badInput } from '../../errors.js';
import type { ObjectStore } from '../../store/types.js';
import type { S3StoreExtras } from '../../store/s3.js';
import { parseSize } from '../options.js';
import { note, printJson, say } from '../output.js';
import { runCommand } from '../run.js';
import { addTargetFlags } from './history.js';

interface LifecycleFlags extends TargetFlags {
  format?: string;
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
  json?: boolean;
  quiet?: boolean;
}

function days(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0)
    throw badInput(`${flag} takes a whole number of days; got "${text}"`, flag);
  return n;
}

/** The settings from the flags ("0" or "none" turns a rule off). */
export function settingsFrom(flags: LifecycleFlags, library: string, prefix: string): LifecycleSettings {
  const abort = days(flags.abortMultipartDays, '--abort-multipart-days');
  const noncurrent = days(flags.noncurrentDays, '--noncurrent-days');
  const keep = days(flags.keepNoncurrent, '--keep-noncurrent');
  const minSize = parseSize(flags.minTransitionSize, '--min-transition-size');
  const archivePrefix =
    flags.archivePrefix ?? (prefix === '' ? DEFAULT_ARCHIVE_DIR : `${prefix}/${DEFAULT_ARCHIVE_DIR}`);
  return {
    library,
    prefix,
    ...(abort === 0 ? {} : { abortMultipartDays: abort }),
    ...(noncurrent === 0
      ? {}
      : { noncurrentDays: noncurrent, ...(keep === 0 ? {} : { keepNoncurrent: keep }) }),
    expireDeleteMarkers: flags.expireDeleteMarkers,
    ...(flags.archiveClass.toLowerCase() === 'none'
      ? {}
      : {
          archive: {
            prefix: archivePrefix,
            storageClass: flags.archiveClass,
            days: days(flags.archiveAfterDays, '--archive-after-days'),
            ...(minSize === 0 ? {} : { minSize }),
          },
        }),
    ...(flags.iaAfterDays === undefined
      ? {}
      : {
          infrequentAccess: {
            storageClass: flags.iaClass,
            days: days(flags.iaAfterDays, '--ia-after-days'),
            ...(minSize === 0 ? {} : { minSize }),
          },
        }),
  };
}

type S3Store = ObjectStore & S3StoreExtras;

async function s3Target(flags: LifecycleFlags): Promise<{ target: LibraryTarget; store: S3Store }> {
  const target = await resolveTarget(flags);
  if (target.location.kind !== 's3') {
    throw badInput(
      'lifecycle rules are a feature of S3 buckets',
      target.display,
      'give an s3:// library location',
    );
  }
  const store = await openTargetStore(target);
  if (!isS3Store(store)) throw badInput('lifecycle rules need an S3 store', target.display);
  return { target, store };
}

interface Plan {
  bucket: string;
  endpoint: string;
  library: string;
  prefix: string;
  versioning: string;
  desired: LifecycleRule[];
  merge: LifecycleMerge;
  notes: string[];
}

async function makePlan(flags: LifecycleFlags, store: S3Store, target: LibraryTarget): Promise<Plan> {
  const { readLifecycleRules, readVersioning } = await import('../../archive/lifecycle-s3.js');
  const loc = store.location;
  const settings = settingsFrom(flags, target.name, loc.prefix);
  const desired = desiredLifecycleRules(settings);
  const [existing, versioning] = await Promise.all([readLifecycleRules(store), readVersioning(store)]);
  const merge = mergeLifecycle(existing, desired, lifecycleIdPrefix(target.name));
  const notes: string[] = [];
  if (versioning !== 'Enabled' && settings.noncurrentDays !== undefined) {
    notes.push(
      `Versioning of ${loc.bucket} is ${versioning ?? 'off'}: the noncurrent-version rule only acts once versioning is ` +
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
  return {
    bucket: loc.bucket,
    endpoint: store.endpointUrl,
    library: target.name,
    prefix: loc.prefix,
    versioning: versioning ?? 'Disabled',
    desired,
    merge,
    notes,
  };
}

function describe(mode: { json: boolean; quiet: boolean }, plan: Plan): void {
  say(mode, `lifecycle of bucket ${plan.bucket} for library "${plan.library}" (prefix "${plan.prefix}/"):`);
  for (const c of plan.merge.changes) say(mode, `  ${c.change.padEnd(9)} ${c.id}`);
  for (const n of plan.notes) note(mode, `note: ${n}`);
}

function addRuleFlags(cmd: Command): Command {
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
    .option(
      '--archive-prefix <prefix>',
      `key prefix of the archives (default: <library prefix>/${DEFAULT_ARCHIVE_DIR})`,
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
    )
    .option('--json', 'print JSON')
    .option('-q, --quiet', 'print nothing but errors');
  return addTargetFlags(cmd);
}

export function registerLifecycle(program: Command): void {
  const lifecycle = program
    .command('lifecycle')
    .description(
      "lifecycle rules for the library's bucket: abort stale uploads, expire old versions, tier archives",
    );

  const plan = lifecycle
    .command('plan')
    .description('show the rules claas would set, merged with what the bucket has (writes nothing)')
    .option('--format <format>', 'json (the PutBucketLifecycleConfiguration document) or terraform', 'json');
  addRuleFlags(plan).action(async (flags: LifecycleFlags) => {
    await runCommand(flags, async (mode) => {
      const { target, store } = await s3Target(flags);
      const p = await makePlan(flags, store, target);
      if (flags.format === 'terraform') {
        process.stdout.write(
          lifecycleTerraform(
            {
              bucket: p.bucket,
              ...(store.location.region === undefined ? {} : { region: store.location.region }),
              ...(store.location.endpoint === undefined ? {} : { endpoint: store.location.endpoint }),
              ...(store.location.profile === undefined ? {} : { profile: store.location.profile }),
            },
            p.library,
            p.merge.rules,
          ),
        );
        for (const n of p.notes) note({ ...mode, json: false }, `note: ${n}`);
        return 0;
      }
      if (flags.format !== 'json')
        throw badInput(`--format takes json or terraform; got "${flags.format}"`, '--format');
      {
        printJson({
          ok: true,
          bucket: p.bucket,
          endpoint: p.endpoint,
          library: p.library,
          prefix: p.prefix,
          versioning: p.versioning,
          changed: p.merge.changed,
          changes: p.merge.changes.map((c) => ({ id: c.id, change: c.change })),
          configuration: { Rules: p.merge.rules },
          notes: p.notes,
        });
      }
      return 0;
    });
  });

  const apply = lifecycle
    .command('apply')
    .description('set the rules (only when something changed) and read them back');
  addRuleFlags(apply).action(async (flags: LifecycleFlags) => {
    await runCommand(flags, async (mode) => {
      const { target, store } = await s3Target(flags);
      const p = await makePlan(flags, store, target);
      if (!mode.json) describe(mode, p);
      const { readLifecycleRules, writeLifecycleRules } = await import('../../archive/lifecycle-s3.js');
      if (p.merge.changed) await writeLifecycleRules(store, p.merge.rules);
      const back = await readLifecycleRules(store);
      const differences = readBackDifferences(p.merge.rules, back);
      if (p.merge.changed) {
        const actor = await resolveActor(store);
        await appendAudit(store, {
          action: 'lifecycle',
          actor,
          summary: `lifecycle rules of bucket ${p.bucket} applied`,
          details: {
            bucket: p.bucket,
            changes: p.merge.changes
              .filter((c) => c.change !== 'unchanged' && c.change !== 'foreign')
              .map((c) => ({ id: c.id, change: c.change })),
            rules: p.desired,
          },
        });
      }
      const ok = differences.length === 0;
      if (mode.json) {
        printJson({
          ok,
          bucket: p.bucket,
          applied: p.merge.changed,
          changes: p.merge.changes.map((c) => ({ id: c.id, change: c.change })),
          readBack: { matches: ok, differences, rules: back },
          notes: p.notes,
        });
      } else {
        say(mode, p.merge.changed ? 'applied; read back:' : 'nothing to change; read back:');
        if (ok) say(mode, `  the bucket holds the ${p.merge.rules.length} rules as planned`);
        for (const d of differences) process.stderr.write(`  MISMATCH ${d}\n`);
      }
      return ok ? EXIT.OK : EXIT.FAILED;
    });
  });
}
