// The archive schedule of `claas run` (`archive.schedule`, five-field cron in UTC): runs `archive snapshot`
// (archive/snapshot-archive.ts, which writes the `archive` audit entry) once per slot, even across restarts
// and takeovers: the last slot done is recorded in the library (RUN_ARCHIVE_KEY), written only after the
// snapshot succeeded and read again whenever a service becomes the library's active one. The newest slot
// not done yet is due: a slot missed while no service ran is caught up once (older missed slots are not
// repeated: an archive is of the current version anyway). A version archived already is not copied again
// (snapshotArchive skips it) but its slot counts as done.
//
// The clock is injectable (`now`): a test moves it across slots while the stores are real. Checking a slot
// costs no request; the record is read once per activation and written once per slot.

import { CronExpressionParser } from 'cron-parser';
import { storeLocation, storeWriteSettings } from '../config/schema.js';
import type { ClaasConfig } from '../config/schema.js';
import { ClaasError } from '../errors.js';
import { LIB_KEY, RUN_ARCHIVE_KEY } from '../publish/layout.js';
import { resolveActor } from '../publish/identity.js';
import { snapshotArchive } from '../archive/snapshot-archive.js';
import type { SnapshotResult } from '../archive/snapshot-archive.js';
import { otherLocation } from '../archive/target.js';
import { openStore } from '../store/open.js';
import type { ObjectStore } from '../store/types.js';
import { problemOf } from './status-book.js';
import type { StatusBook } from './status-book.js';
import { backoff } from './time.js';
import type { RunEventSink } from './types.js';

export const RUN_ARCHIVE_FORMAT = 'claas.run-archive/1';
/** After a failed archive: the next try waits 30 s, then 1, 2, 4 ... minutes, at most an hour. */
const RETRY_BASE_MS = 30_000;
const RETRY_MAX_MS = 3_600_000;

/** What the library records about the schedule. */
export interface ArchiveRecord {
  format: typeof RUN_ARCHIVE_FORMAT;
  schedule: string;
  /** The slot (UTC ISO time) last archived. */
  lastSlot: string;
  lastRunAt: string;
  archiveId: string;
  version: number;
  location: string;
}

export interface CronSchedule {
  expression: string;
  /** The newest slot at or before `now`. */
  slotAt(now: Date): Date;
  /** The first slot after `now`. */
  nextAfter(now: Date): Date;
}

/** Parses a five-field cron expression (evaluated in UTC). Throws ClaasError BAD_INPUT naming it. */
export function parseSchedule(expression: string, input = 'archive.schedule'): CronSchedule {
  const fields = expression.trim().split(/\s+/);
  const bad = (why: string): ClaasError =>
    new ClaasError('BAD_INPUT', `${input} "${expression}" is not a cron schedule: ${why}`, {
      input,
      hint: 'five fields, minute hour day-of-month month day-of-week, in UTC: "0 3 1 * *" is 03:00 on the 1st of every month',
    });
  if (fields.length !== 5) throw bad(`it has ${fields.length} fields, not 5`);
  const at = (d: Date) => CronExpressionParser.parse(expression, { currentDate: d, tz: 'UTC' });
  try {
    at(new Date()).next();
  } catch (e) {
    throw bad((e as Error).message);
  }
  return {
    expression,
    // prev() is strictly before its date: one millisecond later makes a slot at `now` itself count.
    slotAt: (now) =>
      at(new Date(now.getTime() + 1))
        .prev()
        .toDate(),
    nextAfter: (now) => at(now).next().toDate(),
  };
}

/** The record of the last slot done, or undefined (none yet, or unreadable: then the newest slot is due). */
export async function readArchiveRecord(origin: ObjectStore): Promise<ArchiveRecord | undefined> {
  const bytes = await origin.readBytes(RUN_ARCHIVE_KEY);
  if (bytes === undefined) return undefined;
  try {
    const doc = JSON.parse(bytes.toString('utf8')) as Partial<ArchiveRecord>;
    if (doc.format !== RUN_ARCHIVE_FORMAT || typeof doc.lastSlot !== 'string') return undefined;
    if (Number.isNaN(Date.parse(doc.lastSlot))) return undefined;
    return doc as ArchiveRecord;
  } catch {
    return undefined;
  }
}

async function writeArchiveRecord(origin: ObjectStore, record: ArchiveRecord): Promise<void> {
  await origin.put(
    RUN_ARCHIVE_KEY,
    { kind: 'bytes', data: Buffer.from(`${JSON.stringify(record, null, 2)}\n`) },
    { contentType: 'application/json', role: 'metadata' },
  );
}

/** Archives the origin's current version to the configured location, as `claas archive snapshot --to` does. */
export async function archiveNow(
  config: ClaasConfig,
  origin: ObjectStore,
  signal?: AbortSignal,
): Promise<SnapshotResult> {
  const archiveConfig = config.archive;
  if (archiveConfig === undefined) throw new ClaasError('INTERNAL', `${config.file} has no archive: section`);
  const sse = storeWriteSettings(config.origin).sse;
  const write = sse === undefined ? {} : { sse };
  const storageClass =
    archiveConfig.storageClass === undefined ? {} : { storageClass: archiveConfig.storageClass };
  const archive = await openStore(otherLocation(archiveConfig.to, storeLocation(config.origin)), {
    write: { ...write, ...storageClass },
  });
  try {
    return await snapshotArchive({
      library: origin,
      archive,
      write,
      ...storageClass,
      actor: await resolveActor(origin),
      ...(signal === undefined ? {} : { signal }),
    });
  } finally {
    archive.close();
  }
}

export interface ArchiveScheduleOptions {
  config: ClaasConfig;
  origin: ObjectStore;
  book: StatusBook;
  onEvent: RunEventSink;
  now?: () => Date;
  /** First wait after a failed archive (default 30 s; doubles up to an hour). */
  retryBaseMs?: number;
  /** Runs the snapshot (default archiveNow; tests). */
  archive?: (signal: AbortSignal) => Promise<SnapshotResult>;
}

/** One library's schedule while its service is active: load(), then due() on every tick. */
export class ArchiveSchedule {
  private readonly cron: CronSchedule;
  private readonly now: () => Date;
  private lastSlot: number | undefined;
  private loaded = false;
  private running: Promise<void> | undefined;
  private failures = 0;
  private retryAt = 0;

  constructor(private readonly o: ArchiveScheduleOptions) {
    if (o.config.archive === undefined) throw new ClaasError('INTERNAL', 'no archive schedule configured');
    this.cron = parseSchedule(o.config.archive.schedule, `${o.config.file}: archive.schedule`);
    this.now = o.now ?? (() => new Date());
  }

  /** Reads the record of the last slot done (at every activation: another service may have run slots). */
  async load(): Promise<void> {
    const record = await readArchiveRecord(this.o.origin);
    this.lastSlot = record === undefined ? undefined : Date.parse(record.lastSlot);
    this.loaded = true;
    const library = this.o.config.library;
    if (record !== undefined)
      this.o.book.recordArchive(library, { lastSlot: record.lastSlot, lastRunAt: record.lastRunAt });
  }

  /** Resolves when no snapshot runs. */
  idle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  /**
   * Runs the due slot, if any and none is running. Resolves when done; failures are recorded and reported,
   * never thrown (the next tick tries again).
   */
  tick(signal: AbortSignal): Promise<void> {
    this.running ??= this.runDue(signal).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async runDue(signal: AbortSignal): Promise<void> {
    const library = this.o.config.library;
    try {
      if (!this.loaded) await this.load();
      const now = this.now();
      const slot = this.cron.slotAt(now);
      const next = this.cron.nextAfter(now).toISOString();
      if (this.lastSlot !== undefined && slot.getTime() <= this.lastSlot) {
        this.o.book.recordArchive(library, { next });
        return;
      }
      if (Date.now() < this.retryAt) return; // backing off after a failure
      if ((await this.o.origin.readBytes(LIB_KEY)) === undefined) {
        this.o.book.recordArchive(library, { next }); // nothing published yet: due once there is
        return;
      }
      const r = await (this.o.archive ?? ((s) => archiveNow(this.o.config, this.o.origin, s)))(signal);
      const record: ArchiveRecord = {
        format: RUN_ARCHIVE_FORMAT,
        schedule: this.cron.expression,
        lastSlot: slot.toISOString(),
        lastRunAt: this.now().toISOString(),
        archiveId: r.id,
        version: r.library.version,
        location: r.location,
      };
      await writeArchiveRecord(this.o.origin, record);
      this.lastSlot = slot.getTime();
      this.failures = 0;
      this.retryAt = 0;
      this.o.book.recordArchive(library, {
        lastSlot: record.lastSlot,
        lastRunAt: record.lastRunAt,
        next,
        lastError: null,
      });
      this.o.onEvent({
        type: 'archived',
        library,
        slot: record.lastSlot,
        to: r.location,
        version: r.library.version,
      });
    } catch (e) {
      if (signal.aborted) return;
      this.failures += 1;
      this.retryAt =
        Date.now() + backoff(this.o.retryBaseMs ?? RETRY_BASE_MS, this.failures - 1, RETRY_MAX_MS);
      const problem = problemOf(e);
      this.o.book.recordArchive(library, { lastError: problem });
      this.o.onEvent({ type: 'error', library, problem });
    }
  }
}
