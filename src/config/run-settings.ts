// The settings only `claas run` reads, resolved: `sources:` (where the library's items come from, how often
// each is polled, how much one step may delete) and `archive:` (scheduled snapshots, a five-field cron
// expression evaluated in UTC). Relative paths are made absolute against the configuration file's folder.

import { isAbsolute, resolve } from 'node:path';
import { CronExpressionParser } from 'cron-parser';
import { isClaasError } from '../errors.js';
import { parseLocation } from '../store/location.js';
import type { ArchiveScheduleConfig, MaxDelete, RawConfig, SourceConfig } from './schema.js';
import type { FieldPath, PendingIssue } from './yaml-source.js';

type RawSource = NonNullable<RawConfig['sources']>[number];
type RawArchive = NonNullable<RawConfig['archive']>;
type Problem = (path: FieldPath, message: string, at?: PendingIssue['at']) => void;

/** Poll periods when `interval:` is not given. */
export const DEFAULT_INTERVAL_MS = { folder: 30_000, vcenter: 60_000, vcsp: 60_000 } as const;
export const MIN_INTERVAL_MS = 1000;
/** `maxDelete:` when not given: half of the items the library holds from a source. */
export const DEFAULT_MAX_DELETE: MaxDelete = { percent: 50 };

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds of an interval the schema accepted ("30s", "5m"). */
export function intervalMs(text: string): number {
  const m = /^(\d+)\s*(ms|s|m|h)$/.exec(text.trim());
  if (m === null) return Number.NaN;
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

/** A maxDelete the schema accepted: a count, or "20%". */
export function maxDeleteOf(value: number | string): MaxDelete {
  if (typeof value === 'number') return { count: value };
  return { percent: Number(value.replace('%', '').trim()) };
}

function absolute(baseDir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

/** The resolved `sources:`; problems go to `problem`. vcenterNames: the names the vcenters: section has. */
export function resolveSources(
  list: RawSource[],
  vcenterNames: readonly string[],
  baseDir: string,
  problem: Problem,
): SourceConfig[] {
  const known = new Set(vcenterNames.map((n) => n.toLowerCase()));
  const seen = new Map<string, number>();
  const out: SourceConfig[] = [];
  for (const [i, s] of list.entries()) {
    const at: FieldPath = ['sources', i];
    const kind = s.folder !== undefined ? 'folder' : s.vcenter !== undefined ? 'vcenter' : 'vcsp';
    const period = s.interval === undefined ? DEFAULT_INTERVAL_MS[kind] : intervalMs(s.interval);
    if (period < MIN_INTERVAL_MS) problem([...at, 'interval'], 'the shortest interval is 1s');
    const maxDelete = s.maxDelete === undefined ? DEFAULT_MAX_DELETE : maxDeleteOf(s.maxDelete);
    if ('percent' in maxDelete && maxDelete.percent > 100) {
      problem([...at, 'maxDelete'], 'a percentage is at most 100%');
    }
    const base = { intervalMs: period, maxDelete };
    let source: SourceConfig;
    if (s.folder !== undefined) {
      source = { ...base, kind: 'folder', path: absolute(baseDir, s.folder) };
    } else if (s.vcenter !== undefined) {
      if (!known.has(s.vcenter.toLowerCase())) {
        const names = vcenterNames.length === 0 ? 'there is no vcenters: section' : vcenterNames.join(', ');
        problem([...at, 'vcenter'], `no vCenter "${s.vcenter}" in vcenters: (${names})`);
      }
      source = { ...base, kind: 'vcenter', vcenter: s.vcenter, library: s.library ?? '' };
    } else {
      const url = s.vcsp ?? '';
      checkVcspUrl(url, [...at, 'vcsp'], problem);
      source = {
        ...base,
        kind: 'vcsp',
        url,
        ...(s.passwordFile === undefined ? {} : { passwordFile: absolute(baseDir, s.passwordFile) }),
        ...(s.thumbprint === undefined ? {} : { thumbprint: s.thumbprint }),
        ...(s.caFile === undefined ? {} : { caFile: absolute(baseDir, s.caFile) }),
      };
    }
    const key = sourceKey(source);
    const first = seen.get(key);
    if (first !== undefined) problem(at, `the same source as sources[${first}]`);
    else seen.set(key, i);
    out.push(source);
  }
  return out;
}

/** What makes two source entries the same source. */
function sourceKey(s: SourceConfig): string {
  if (s.kind === 'folder') return `folder|${s.path}`;
  if (s.kind === 'vcenter') return `vcenter|${s.vcenter.toLowerCase()}|${s.library}`;
  return `vcsp|${s.url}`;
}

/** A lib.json URL: http(s), no credentials in it (the password goes in passwordFile). */
function checkVcspUrl(text: string, at: FieldPath, problem: Problem): void {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    problem(at, 'expected the http(s) URL of a library (its lib.json)');
    return;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    problem(at, `expected an http(s) URL, not ${url.protocol}`);
  } else if (url.username !== '' || url.password !== '') {
    problem(at, 'the URL must not hold credentials: put the password in passwordFile');
  }
}

/** Five whitespace-separated fields that cron-parser accepts (evaluated in UTC). */
export function cronProblem(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) {
    return `expected five cron fields (minute hour day-of-month month day-of-week, e.g. "0 3 1 * *"), got ${fields.length}`;
  }
  try {
    CronExpressionParser.parse(fields.join(' '), { tz: 'UTC' });
    return undefined;
  } catch (e) {
    return `not a cron expression: ${(e as Error).message}`;
  }
}

/** The resolved `archive:` section. */
export function resolveArchive(a: RawArchive, baseDir: string, problem: Problem): ArchiveScheduleConfig {
  const at: FieldPath = ['archive'];
  const cron = cronProblem(a.schedule);
  if (cron !== undefined) problem([...at, 'schedule'], cron);
  let to = a.to;
  // A plain relative path is relative to this file, like every other path in it.
  if (!/^[a-z][a-z0-9+.-]*:/i.test(to)) to = absolute(baseDir, to);
  try {
    parseLocation(to, {}, {});
  } catch (e) {
    if (!isClaasError(e)) throw e;
    problem([...at, 'to'], e.hint === undefined ? e.message : `${e.message}. ${e.hint}`);
  }
  return {
    schedule: a.schedule.trim().split(/\s+/).join(' '),
    to,
    ...(a.storageClass === undefined ? {} : { storageClass: a.storageClass }),
  };
}
