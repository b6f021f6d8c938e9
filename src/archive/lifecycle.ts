// Lifecycle rules for a library's bucket: what claas wants (abort incomplete multipart uploads, expire
// noncurrent versions keeping the newest K, move archives to an archive class, optionally move data files
// to an infrequent-access class), merged by rule ID into whatever the bucket already has, compared after
// normalisation so an unchanged configuration is never written again, and rendered as JSON or Terraform.
// Pure: the bucket is read and written through the store's BucketAdmin (lifecycle-s3.ts).

import type { LifecycleRule } from '../store/types.js';
import { badInput } from '../errors.js';
import { HclExpr, attr, block, hclBody } from '../util/hcl.js';
import type { HclItem } from '../util/hcl.js';
import { isAwsEndpoint } from '../store/endpoints.js';

export type { LifecycleRule };

/** Rule ids claas writes for a library: claas/<library>/<purpose>. */
export function lifecycleIdPrefix(library: string): string {
  return `claas/${library}/`;
}

export const ARCHIVE_CLASSES = ['GLACIER', 'DEEP_ARCHIVE', 'GLACIER_IR'] as const;
export const INFREQUENT_CLASSES = ['STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING', 'GLACIER_IR'] as const;
/** AWS does not move objects smaller than 128 KiB to other classes by default; claas filters them out. */
export const DEFAULT_MIN_TRANSITION_SIZE = 128 * 1024;

export interface LifecycleSettings {
  /** Names the rules (claas/<library>/...). */
  library: string;
  /** The library's key prefix without trailing '/' ('' = the bucket root). */
  prefix: string;
  /** Abort multipart uploads this many days after they started (undefined = no rule). */
  abortMultipartDays?: number;
  /** Expire noncurrent object versions this many days after they became noncurrent (undefined = no rule). */
  noncurrentDays?: number;
  /** ...but keep this many newest noncurrent versions of each key (NewerNoncurrentVersions). */
  keepNoncurrent?: number;
  /** Remove delete markers that no longer hide any version (with the noncurrent rule). */
  expireDeleteMarkers?: boolean;
  /** Move archive copies to an archive class. */
  archive?: { prefix: string; storageClass: string; days: number; minSize?: number };
  /** Move data files of the library to an infrequent-access class. */
  infrequentAccess?: { storageClass: string; days: number; minSize?: number };
}

function withSlash(prefix: string): string {
  return prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
}

function filterFor(prefix: string, minSize: number | undefined): LifecycleRule['Filter'] {
  if (minSize === undefined || minSize <= 0) return { Prefix: prefix };
  return { And: { Prefix: prefix, ObjectSizeGreaterThan: minSize } };
}

function checkDays(days: number, flag: string, min = 1): void {
  if (!Number.isSafeInteger(days) || days < min) {
    throw badInput(`${flag} takes a whole number of days of at least ${min}; got ${days}`, flag);
  }
}

/** The rules claas wants for a library. */
export function desiredLifecycleRules(s: LifecycleSettings): LifecycleRule[] {
  const ids = lifecycleIdPrefix(s.library);
  const prefix = withSlash(s.prefix);
  const rules: LifecycleRule[] = [];
  if (s.abortMultipartDays !== undefined) {
    checkDays(s.abortMultipartDays, '--abort-multipart-days');
    rules.push({
      ID: `${ids}abort-incomplete-uploads`,
      Status: 'Enabled',
      Filter: { Prefix: prefix },
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: s.abortMultipartDays },
    });
  }
  if (s.noncurrentDays !== undefined) {
    checkDays(s.noncurrentDays, '--noncurrent-days');
    if (
      s.keepNoncurrent !== undefined &&
      (!Number.isSafeInteger(s.keepNoncurrent) || s.keepNoncurrent < 1 || s.keepNoncurrent > 100)
    ) {
      throw badInput(
        `--keep-noncurrent takes 1 to 100 (S3's limit); got ${s.keepNoncurrent}`,
        '--keep-noncurrent',
      );
    }
    rules.push({
      ID: `${ids}noncurrent-versions`,
      Status: 'Enabled',
      Filter: { Prefix: prefix },
      NoncurrentVersionExpiration: {
        NoncurrentDays: s.noncurrentDays,
        ...(s.keepNoncurrent === undefined ? {} : { NewerNoncurrentVersions: s.keepNoncurrent }),
      },
      ...(s.expireDeleteMarkers === false ? {} : { Expiration: { ExpiredObjectDeleteMarker: true } }),
    });
  }
  if (s.archive !== undefined) {
    checkDays(s.archive.days, '--archive-after-days', 0);
    if (!(ARCHIVE_CLASSES as readonly string[]).includes(s.archive.storageClass)) {
      throw badInput(
        `--archive-class takes ${ARCHIVE_CLASSES.join(', ')}; got ${s.archive.storageClass}`,
        '--archive-class',
      );
    }
    rules.push({
      ID: `${ids}archive-tier`,
      Status: 'Enabled',
      Filter: filterFor(withSlash(s.archive.prefix), s.archive.minSize),
      Transitions: [{ Days: s.archive.days, StorageClass: s.archive.storageClass }],
    });
  }
  if (s.infrequentAccess !== undefined) {
    const ia = s.infrequentAccess;
    if (!(INFREQUENT_CLASSES as readonly string[]).includes(ia.storageClass)) {
      throw badInput(
        `--ia-class takes ${INFREQUENT_CLASSES.join(', ')}; got ${ia.storageClass}`,
        '--ia-class',
      );
    }
    // S3 moves objects to STANDARD_IA / ONEZONE_IA only after 30 days.
    checkDays(ia.days, '--ia-after-days', ia.storageClass.endsWith('_IA') ? 30 : 0);
    rules.push({
      ID: `${ids}infrequent-access`,
      Status: 'Enabled',
      Filter: filterFor(prefix, ia.minSize),
      Transitions: [{ Days: ia.days, StorageClass: ia.storageClass }],
    });
  }
  return rules;
}

/** A canonical form for comparison: sorted keys, no undefined/empty values, dates as ISO strings, and the
 *  legacy top-level Prefix written as a Filter. */
export function normalizeRule(rule: LifecycleRule): unknown {
  const r: Record<string, unknown> = { ...rule };
  if (r.Prefix !== undefined && r.Filter === undefined) {
    r.Filter = { Prefix: r.Prefix };
  }
  delete r.Prefix;
  return canonical(r);
}

function canonical(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(canonical);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = canonical((v as Record<string, unknown>)[k]);
      if (x === undefined) continue;
      if (
        typeof x === 'object' &&
        x !== null &&
        !Array.isArray(x) &&
        Object.keys(x).length === 0 &&
        k !== 'Filter'
      )
        continue;
      out[k] = x;
    }
    return out;
  }
  return v;
}

export function sameRule(a: LifecycleRule, b: LifecycleRule): boolean {
  return JSON.stringify(normalizeRule(a)) === JSON.stringify(normalizeRule(b));
}

export interface RuleChange {
  id: string;
  change: 'add' | 'update' | 'remove' | 'unchanged' | 'foreign';
  before?: LifecycleRule;
  after?: LifecycleRule;
}

export interface LifecycleMerge {
  /** The bucket's configuration after applying: other rules kept as they were, claas's replaced by ID. */
  rules: LifecycleRule[];
  changes: RuleChange[];
  /** Something must be written. */
  changed: boolean;
}

/**
 * Merges claas's rules for one library into a bucket's rules. Rules of other tools and other libraries are
 * kept untouched, in place; a rule with one of claas's IDs is replaced; rules under this library's ID
 * prefix that claas no longer wants (an option was dropped) are removed; new rules are appended.
 */
export function mergeLifecycle(
  existing: LifecycleRule[],
  desired: LifecycleRule[],
  ownedPrefix: string,
): LifecycleMerge {
  const want = new Map(desired.map((r) => [r.ID ?? '', r]));
  const rules: LifecycleRule[] = [];
  const changes: RuleChange[] = [];
  const placed = new Set<string>();
  for (const rule of existing) {
    const id = rule.ID ?? '';
    const replacement = want.get(id);
    if (replacement !== undefined) {
      placed.add(id);
      rules.push(replacement);
      changes.push(
        sameRule(rule, replacement)
          ? { id, change: 'unchanged', after: replacement }
          : { id, change: 'update', before: rule, after: replacement },
      );
    } else if (id.startsWith(ownedPrefix)) {
      changes.push({ id, change: 'remove', before: rule });
    } else {
      rules.push(rule);
      changes.push({ id, change: 'foreign', after: rule });
    }
  }
  for (const rule of desired) {
    const id = rule.ID ?? '';
    if (placed.has(id)) continue;
    rules.push(rule);
    changes.push({ id, change: 'add', after: rule });
  }
  if (rules.length > 1000) {
    throw badInput(`the bucket would have ${rules.length} lifecycle rules; S3 allows 1,000`, '(lifecycle)');
  }
  return {
    rules,
    changes,
    changed: changes.some((c) => c.change === 'add' || c.change === 'update' || c.change === 'remove'),
  };
}

/** Rules of `expected` that the bucket does not hold as written (after normalisation). */
export function readBackDifferences(expected: LifecycleRule[], actual: LifecycleRule[]): string[] {
  const got = new Map(actual.map((r) => [r.ID ?? '', r]));
  const out: string[] = [];
  for (const rule of expected) {
    const id = rule.ID ?? '';
    const back = got.get(id);
    if (back === undefined) out.push(`${id}: missing after apply`);
    else if (!sameRule(rule, back)) {
      out.push(
        `${id}: the bucket holds ${JSON.stringify(normalizeRule(back))}, claas wrote ${JSON.stringify(normalizeRule(rule))}`,
      );
    }
  }
  for (const id of got.keys())
    if (!expected.some((r) => (r.ID ?? '') === id)) out.push(`${id}: unexpected rule`);
  return out;
}

// ---- Terraform ----

export interface LifecycleTarget {
  bucket: string;
  region?: string;
  endpoint?: string;
  profile?: string;
}

function tfFilter(f: LifecycleRule['Filter']): HclItem[] {
  if (f === undefined) return [block('filter', [], [])];
  const body: HclItem[] = [];
  if (f.And !== undefined) {
    const and: HclItem[] = [];
    if (f.And.Prefix !== undefined) and.push(attr('prefix', f.And.Prefix));
    if (f.And.ObjectSizeGreaterThan !== undefined)
      and.push(attr('object_size_greater_than', f.And.ObjectSizeGreaterThan));
    if (f.And.ObjectSizeLessThan !== undefined)
      and.push(attr('object_size_less_than', f.And.ObjectSizeLessThan));
    if (f.And.Tags !== undefined && f.And.Tags.length > 0) {
      and.push(attr('tags', Object.fromEntries(f.And.Tags.map((t) => [t.Key ?? '', t.Value ?? '']))));
    }
    body.push(block('and', [], and));
  }
  if (f.Prefix !== undefined) body.push(attr('prefix', f.Prefix));
  if (f.ObjectSizeGreaterThan !== undefined)
    body.push(attr('object_size_greater_than', f.ObjectSizeGreaterThan));
  if (f.ObjectSizeLessThan !== undefined) body.push(attr('object_size_less_than', f.ObjectSizeLessThan));
  if (f.Tag !== undefined)
    body.push(block('tag', [], [attr('key', f.Tag.Key ?? ''), attr('value', f.Tag.Value ?? '')]));
  return [block('filter', [], body)];
}

function tfRule(r: LifecycleRule): HclItem {
  const body: HclItem[] = [attr('id', r.ID ?? ''), attr('status', r.Status ?? 'Enabled')];
  body.push(...tfFilter(r.Filter ?? (r.Prefix === undefined ? undefined : { Prefix: r.Prefix })));
  if (r.AbortIncompleteMultipartUpload?.DaysAfterInitiation !== undefined) {
    body.push(
      block(
        'abort_incomplete_multipart_upload',
        [],
        [attr('days_after_initiation', r.AbortIncompleteMultipartUpload.DaysAfterInitiation)],
      ),
    );
  }
  if (r.Expiration !== undefined) {
    const e: HclItem[] = [];
    if (r.Expiration.Days !== undefined) e.push(attr('days', r.Expiration.Days));
    if (r.Expiration.Date !== undefined) e.push(attr('date', new Date(r.Expiration.Date).toISOString()));
    if (r.Expiration.ExpiredObjectDeleteMarker !== undefined) {
      e.push(attr('expired_object_delete_marker', r.Expiration.ExpiredObjectDeleteMarker));
    }
    body.push(block('expiration', [], e));
  }
  if (r.NoncurrentVersionExpiration !== undefined) {
    const n = r.NoncurrentVersionExpiration;
    body.push(
      block(
        'noncurrent_version_expiration',
        [],
        [
          ...(n.NoncurrentDays === undefined ? [] : [attr('noncurrent_days', n.NoncurrentDays)]),
          ...(n.NewerNoncurrentVersions === undefined
            ? []
            : [attr('newer_noncurrent_versions', n.NewerNoncurrentVersions)]),
        ],
      ),
    );
  }
  for (const t of r.Transitions ?? []) {
    body.push(
      block(
        'transition',
        [],
        [
          ...(t.Days === undefined ? [] : [attr('days', t.Days)]),
          ...(t.Date === undefined ? [] : [attr('date', new Date(t.Date).toISOString())]),
          attr('storage_class', t.StorageClass ?? 'GLACIER'),
        ],
      ),
    );
  }
  for (const t of r.NoncurrentVersionTransitions ?? []) {
    body.push(
      block(
        'noncurrent_version_transition',
        [],
        [
          ...(t.NoncurrentDays === undefined ? [] : [attr('noncurrent_days', t.NoncurrentDays)]),
          ...(t.NewerNoncurrentVersions === undefined
            ? []
            : [attr('newer_noncurrent_versions', t.NewerNoncurrentVersions)]),
          attr('storage_class', t.StorageClass ?? 'GLACIER'),
        ],
      ),
    );
  }
  return block('rule', [], body);
}

/** The merged configuration as one aws_s3_bucket_lifecycle_configuration (AWS provider v5). */
export function lifecycleTerraform(target: LifecycleTarget, library: string, rules: LifecycleRule[]): string {
  const name = `claas_${library}`.replace(/[^A-Za-z0-9_]/g, '_');
  const provider: HclItem[] = [
    attr('alias', name),
    ...(target.region === undefined ? [] : [attr('region', target.region)]),
    ...(target.profile === undefined ? [] : [attr('profile', target.profile)]),
  ];
  if (target.endpoint !== undefined && !isAwsEndpoint(target.endpoint)) {
    provider.push(
      attr('s3_use_path_style', true),
      attr('skip_credentials_validation', true),
      attr('skip_region_validation', true),
      attr('skip_requesting_account_id', true),
      block('endpoints', [], [attr('s3', target.endpoint)]),
    );
  } else if (target.endpoint !== undefined) {
    provider.push(block('endpoints', [], [attr('s3', target.endpoint)]));
  }
  const items: HclItem[] = [
    {
      kind: 'comment',
      lines: [
        `# Lifecycle rules of bucket ${target.bucket} for the claas library "${library}".`,
        '# aws_s3_bucket_lifecycle_configuration owns the WHOLE lifecycle configuration of the bucket: the rules',
        '# below include those claas did not write (kept as the bucket has them). Keep one such resource per bucket.',
      ],
    },
    block('provider', ['aws'], provider),
    { kind: 'blank' },
    block(
      'resource',
      ['aws_s3_bucket_lifecycle_configuration', name],
      [
        attr('provider', new HclExpr(`aws.${name}`)),
        attr('bucket', target.bucket),
        { kind: 'blank' },
        ...rules.map(tfRule),
      ],
    ),
  ];
  return hclBody(items);
}
