// Subscriber-side checks of a parsed library (what `claas verify` reports): errors are what breaks
// or misleads a vCenter subscriber; warnings are known quirks of other generators that vCenter accepts.

import { MAX_ITEM_NAME_CHARS, hrefProblem } from './hrefs.js';
import type { ItemJson, LibJson } from './types.js';

export interface Problem {
  severity: 'error' | 'warning';
  /** 'lib.json', 'items.json: item "photon"', 'photon/item.json' */
  where: string;
  field?: string;
  message: string;
}

const URN_UUID = /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const INTEGER = /^\d+$/;
const MD5_HEX = /^[0-9a-f]{32}$/i;
const ISO_SECONDS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)$/;
const ISO_MINUTES = /^\d{4}-\d\d-\d\dT\d\d:\d\d(Z|[+-]\d\d:?\d\d)$/;
const ITEM_TYPES: readonly string[] = ['vcsp.ovf', 'vcsp.iso', 'vcsp.other'];

/** Collects problems for one place in the library. */
class Report {
  constructor(
    private readonly problems: Problem[],
    private readonly where: string,
  ) {}
  error(field: string | undefined, message: string): void {
    this.add('error', field, message);
  }
  warning(field: string | undefined, message: string): void {
    this.add('warning', field, message);
  }
  private add(severity: Problem['severity'], field: string | undefined, message: string): void {
    this.problems.push({ severity, where: this.where, ...(field === undefined ? {} : { field }), message });
  }
}

function checkCreated(report: Report, created: unknown): void {
  if (typeof created === 'string' && ISO_SECONDS.test(created) && !Number.isNaN(Date.parse(created))) return;
  if (typeof created === 'string' && ISO_MINUTES.test(created)) {
    report.warning('created', `${created} has minute precision (make_vcsp_2018.py writes local time with Z)`);
  } else {
    report.warning('created', `${JSON.stringify(created)} is not an ISO-8601 time`);
  }
}

/** The fields lib.json and items share: an integer version, a urn:uuid id, an ISO-8601 creation time. */
function checkIdentity(report: Report, doc: { version: unknown; id: unknown; created: unknown }): void {
  if (typeof doc.version !== 'string' || !INTEGER.test(doc.version)) {
    report.error('version', `${JSON.stringify(doc.version)} is not a non-negative integer`);
  }
  if (typeof doc.id !== 'string' || !URN_UUID.test(doc.id)) {
    report.warning('id', `${JSON.stringify(doc.id)} is not a urn:uuid`);
  }
  checkCreated(report, doc.created);
}

function checkHref(report: Report, field: string, href: unknown): void {
  const problem = typeof href === 'string' ? hrefProblem(href) : 'is not a string';
  if (problem !== undefined) report.error(field, `unsafe href ${JSON.stringify(href)}: ${problem}`);
}

function checkLib(report: Report, lib: LibJson): void {
  if (lib.vcspVersion === '1') report.warning('vcspVersion', 'is "1": vCenter 6.5+ publishes version "2"');
  else if (lib.vcspVersion !== '2')
    report.error('vcspVersion', `${JSON.stringify(lib.vcspVersion)} is not "2"`);
  checkIdentity(report, lib);
  checkHref(report, 'itemsHref', lib.itemsHref);
}

/** How to repair the etag/generationNum quirks of other generators (src/publish/adopt.ts does it). */
const ADOPT_FIX =
  'fix: `claas publish <folder> --to <this library> --adopt` (keeps ids and versions, so subscribers ' +
  'download nothing again; writes generationNum and one etag per item)';

/** Up to three values, quoted, then how many more. */
function sample(values: string[]): string {
  const shown = values.slice(0, 3).map((v) => JSON.stringify(v));
  return values.length > 3 ? `${shown.join(', ')} and ${values.length - 3} more` : shown.join(', ');
}

/**
 * The etag/generationNum rules of the vCenter client (see docs/vcsp.md). What other generators write
 * (make_vcsp_2018.py: one MD5 per item and no generationNum locally, each object's ETag plus its
 * modification time in S3 mode; make_vcsp_2015.py like the first) is synced by vCenter, so these are
 * warnings, one per item, that name the consequence and the fix; a missing etag stays an error.
 */
function checkFileRecords(report: Report, item: ItemJson): void {
  const names = new Set<string>();
  const etags = new Set<string>();
  const withoutGeneration: string[] = [];
  let md5WithGeneration = 0;
  item.files.forEach((file, index) => {
    const field = `files[${index}]`;
    const etag: unknown = file.etag;
    const generationNum: unknown = file.generationNum;
    const hasGeneration = typeof generationNum === 'number' && Number.isSafeInteger(generationNum);
    if (names.has(file.name)) report.error(`${field}.name`, `duplicate file name "${file.name}"`);
    names.add(file.name);
    if (!Number.isSafeInteger(file.size) || file.size < 0) {
      report.error(`${field}.size`, `${JSON.stringify(file.size)} is not a non-negative integer`);
    }
    if (generationNum !== undefined && !hasGeneration) {
      report.error(
        `${field}.generationNum`,
        `${JSON.stringify(generationNum)} is not an integer: vCenter then parses the etag as a number`,
      );
    }
    if (typeof etag !== 'string') {
      report.error(`${field}.etag`, 'is missing');
    } else {
      etags.add(etag);
      if (generationNum === undefined) withoutGeneration.push(etag);
      else if (hasGeneration && MD5_HEX.test(etag)) md5WithGeneration++;
    }
    if (!Array.isArray(file.hrefs) || file.hrefs.length === 0) report.error(`${field}.hrefs`, 'is empty');
    else file.hrefs.forEach((h, i) => checkHref(report, `${field}.hrefs[${i}]`, h));
  });
  /** "its file has", "its 2 files have", "1 of its 3 files has" */
  const filesHave = (n: number): string => {
    const total = item.files.length;
    const verb = n === 1 ? 'has' : 'have';
    if (n < total) return `${n} of its ${total} files ${verb}`;
    return n === 1 ? 'its file has' : `its ${n} files have`;
  };
  if (withoutGeneration.length > 0) {
    const notNumbers = [...new Set(withoutGeneration)].filter((e) => !INTEGER.test(e));
    report.warning(
      'files',
      `${filesHave(withoutGeneration.length)} no generationNum, so vCenter parses the etag as a number` +
        (notNumbers.length === 0
          ? ''
          : ` (${sample(notNumbers)} ${notNumbers.length === 1 ? 'is not one' : 'are not'})`) +
        `: vCenter syncs it, but may not notice later changes to this item; ${ADOPT_FIX}`,
    );
  }
  if (etags.size > 1) {
    report.warning(
      'files',
      `has ${etags.size} different etags (${sample([...etags])}) where vCenter and claas write one per item` +
        (withoutGeneration.length === 0 ? ": changes are noticed through each file's generationNum" : '') +
        `; ${ADOPT_FIX}`,
    );
  }
  if (md5WithGeneration > 0) {
    report.warning(
      'files',
      `${filesHave(md5WithGeneration)} an MD5 hash as etag; it works because generationNum is present`,
    );
  }
}

function checkTypeMetadata(report: Report, item: ItemJson): void {
  if (item.type === 'vcsp.ovf') {
    const descriptors = item.files.filter((f) => f.name.toLowerCase().endsWith('.ovf')).length;
    if (descriptors !== 1)
      report.error('files', `an OVF item needs exactly one .ovf file, found ${descriptors}`);
  }
  const entries = (item.metadata ?? []).filter((m) => m.key === 'type-metadata');
  if (entries.length === 0) {
    if (item.type === 'vcsp.ovf')
      report.warning('metadata', 'no type-metadata: vCenter cannot show the template kind');
    return;
  }
  entries.forEach((entry) => {
    let value: unknown;
    try {
      value = JSON.parse(entry.value);
    } catch {
      report.error('metadata', 'type-metadata value is not valid JSON');
      return;
    }
    const missing = ['id', 'version', 'isVappTemplate'].filter(
      (key) => typeof value !== 'object' || value === null || !Object.hasOwn(value, key),
    );
    if (missing.length > 0) report.error('metadata', `type-metadata value lacks ${missing.join(', ')}`);
  });
}

function checkItem(report: Report, item: ItemJson): void {
  checkIdentity(report, item);
  checkHref(report, 'selfHref', item.selfHref);
  if (!ITEM_TYPES.includes(item.type)) report.error('type', `unknown item type ${JSON.stringify(item.type)}`);
  const chars = [...item.name].length;
  if (chars > MAX_ITEM_NAME_CHARS)
    report.error('name', `has ${chars} characters; vCenter allows ${MAX_ITEM_NAME_CHARS}`);
  checkFileRecords(report, item);
  checkTypeMetadata(report, item);
}

/** JSON with object keys sorted, so that key order does not count as a difference. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

function checkItemJson(problems: Problem[], entry: ItemJson, itemJson: ItemJson): void {
  const keys = new Set([...Object.keys(entry), ...Object.keys(itemJson)]);
  const differing = [...keys].filter(
    (key) =>
      canonical((entry as unknown as Record<string, unknown>)[key]) !==
      canonical((itemJson as unknown as Record<string, unknown>)[key]),
  );
  if (differing.length === 0) return;
  new Report(problems, entry.selfHref).error(
    undefined,
    `differs from its items.json entry in: ${differing.sort().join(', ')}`,
  );
}

/** Checks a library as a vCenter subscriber would read it. itemJsons maps item id to its item.json. */
export function validateLibrary(
  lib: LibJson,
  items: ItemJson[],
  itemJsons?: Map<string, ItemJson>,
): Problem[] {
  const problems: Problem[] = [];
  checkLib(new Report(problems, 'lib.json'), lib);
  const ids = new Set<string>();
  const names = new Set<string>();
  for (const item of items) {
    const report = new Report(problems, `items.json: item ${JSON.stringify(item.name)}`);
    if (ids.has(item.id)) report.error('id', `duplicate item id ${item.id}`);
    if (names.has(item.name)) report.error('name', 'duplicate item name');
    ids.add(item.id);
    names.add(item.name);
    checkItem(report, item);
    const itemJson = itemJsons?.get(item.id);
    if (itemJson !== undefined) checkItemJson(problems, item, itemJson);
  }
  return problems;
}

export function hasErrors(problems: Problem[]): boolean {
  return problems.some((p) => p.severity === 'error');
}
