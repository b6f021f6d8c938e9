// `claas status` as text: a line per store with its newest consistent version, what is missing or wrong, and
// the lag; the overall state and the requests it took. A mirror replica claas mirror never filled reads
// "empty — run claas mirror" with what there is to copy, not the list of every key it lacks.

import { formatAge, MIRROR_EMPTY } from '../../../replicate/status.js';
import type { StatusReport, StoreStatus } from '../../../replicate/status.js';

const MAX_KEYS = 10;

function keyLines(label: string, items: string[]): string[] {
  const out = items.slice(0, MAX_KEYS).map((k) => `      ${label.padEnd(10)} ${k}`);
  if (items.length > MAX_KEYS) out.push(`      ${''.padEnd(10)} ... and ${items.length - MAX_KEYS} more`);
  return out;
}

function storeLine(s: StoreStatus, width: number): string[] {
  const head = `  ${s.name.padEnd(width)}  ${s.state.padEnd(11)}`;
  if (s.state === 'error') {
    return [
      `${head} could not be checked: ${s.error?.message ?? 'unknown error'}`,
      ...(s.error?.hint === undefined ? [] : [`      fix: ${s.error.hint}`]),
    ];
  }
  if (s.state === 'empty' && s.problems.includes(MIRROR_EMPTY)) {
    const others = s.problems.filter((p) => p !== MIRROR_EMPTY);
    return [
      `${head} — run claas mirror: no version is committed here yet, ` +
        `${s.missing.length} objects to copy  [${s.requests} requests]`,
      ...others.map((p) => `      ${p}`),
    ];
  }
  const parts: string[] = [];
  parts.push(s.consistentVersion === undefined ? 'no complete version' : `version ${s.consistentVersion}`);
  if (s.libVersion !== s.consistentVersion) {
    parts.push(s.libVersion === undefined ? '(no lib.json)' : `(lib.json: ${s.libVersion})`);
  }
  if (s.role === 'replica' && s.behind !== undefined && s.behind > 0) {
    parts.push(
      `${s.behind} version${s.behind === 1 ? '' : 's'} behind` +
        (s.lagSeconds === undefined ? '' : `, for ${formatAge(s.lagSeconds * 1000)}`),
    );
  }
  const lines = [`${head} ${parts.join(' ')}  [${s.requests} requests]`];
  for (const p of s.problems) lines.push(`      ${p}`);
  const brokenMissing = s.missing.filter((m) => m.broken);
  const pendingMissing = s.missing.filter((m) => !m.broken);
  if (brokenMissing.length > 0) {
    lines.push(`      missing, will not come by itself: ${brokenMissing[0]!.reason}`);
    lines.push(
      ...keyLines(
        'missing',
        brokenMissing.map((m) => m.key),
      ),
    );
  }
  if (pendingMissing.length > 0) {
    lines.push(`      ${pendingMissing.length} objects still to come: ${pendingMissing[0]!.reason}`);
    lines.push(
      ...keyLines(
        'pending',
        pendingMissing.map((m) => m.key),
      ),
    );
  }
  lines.push(
    ...keyLines(
      'wrong size',
      s.wrongSize.map((w) => `${w.key} (${w.actual} bytes, expected ${w.expected})`),
    ),
  );
  lines.push(
    ...keyLines(
      'wrong hash',
      s.wrongHash.map(
        (w) => `${w.key} (expected ${w.expected}${w.actual === undefined ? '' : `, found ${w.actual}`})`,
      ),
    ),
  );
  return lines;
}

export function renderStatus(r: StatusReport): string {
  const width = Math.max(6, ...r.stores.map((s) => s.name.length));
  const committed =
    r.origin.committedAt === undefined
      ? ''
      : `, committed ${r.origin.committedAt} (${formatAge(Date.parse(r.checkedAt) - Date.parse(r.origin.committedAt))} ago)`;
  const lines = [
    `library "${r.library}": origin at ${r.origin.version === undefined ? 'no version' : `version ${r.origin.version}`}${committed}`,
  ];
  for (const s of r.stores) lines.push(...storeLine(s, width));
  lines.push(
    `status: ${r.state} (exit ${r.exitCode}); ${r.requests} requests (LIST pages, lib.json and snapshot GETs, ` +
      `HEADs only where an ETag differs from the origin's); checked ${r.checkedAt}`,
  );
  return lines.join('\n');
}
