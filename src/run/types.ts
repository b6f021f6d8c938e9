// The contracts inside `claas run` (src/run): what a poll of a source sees, what one sync step did, and
// the service state /healthz, /metrics, the dashboard and `--json` report. Sources (src/run/sources) fill
// the first two; the service (src/run/service.ts) keeps the last.

import type { ClaasConfig, SourceConfig } from '../config/schema.js';

/** One item as a source lists it: cheap to get (no download), enough to tell whether it changed. */
export interface ListedItem {
  name: string;
  /** Changes whenever the item's content may have changed (vCenter content version, folder stat+hash). */
  fingerprint: string;
}

/** What one poll of one source saw. */
export interface SourceListing {
  /** The source as messages name it: folder path, "<vCenter host> library <name>", lib.json URL. */
  source: string;
  kind: SourceConfig['kind'];
  items: ListedItem[];
  /** VM templates (vmtx) the source holds: they cannot travel over VCSP, so they are reported, not copied. */
  vmtx: string[];
  /** Requests this poll made to the source (vCenter or HTTP calls; 0 for a folder). */
  requests: number;
  /** An opaque token for the source's whole listing: equal tokens mean nothing changed at the source. */
  token: string;
}

/** A problem a poll, a step or a replica had, as reported (never a secret). */
export interface Problem {
  code: string;
  message: string;
  hint?: string;
  at: string;
}

export type PollOutcome = { ok: true; listing: SourceListing } | { ok: false; problem: Problem };

/** The deletion guard's verdict on one source's listing (a pure function of listings and the library). */
export interface GuardVerdict {
  /** Items of this source that go into the next version. */
  keep: string[];
  /** Items gone from the source for the first time: kept in the library until the next poll confirms. */
  pending: string[];
  /** Items confirmed gone (absent in 2 consecutive polls) and within maxDelete: removed by this step. */
  remove: string[];
  /** Why the listing was not applied, or why removals were held back (maxDelete exceeded). */
  held?: string;
}

/** What one sync step did (publish to the origin; mirror and status follow in the service). */
export interface SyncOutcome {
  /** Set when a version was committed. */
  version?: { number: number; previous?: number; added: string[]; changed: string[]; removed: string[] };
  bytes: number;
  /** Per source: its verdict this step. */
  verdicts: Record<string, GuardVerdict>;
}

export type ReplicaHealth = 'consistent' | 'lagging' | 'broken' | 'empty' | 'unknown';

/** Per source, what /healthz, /metrics and the dashboard show. */
export interface SourceStatus {
  library: string;
  source: string;
  kind: SourceConfig['kind'];
  lastPollAt?: string;
  lastSuccessAt?: string;
  lastChangeAt?: string;
  lastError?: Problem;
  polls: number;
  /** Polls that failed (listing error, timeout, empty listing refused), since the service started. */
  pollErrors?: number;
  changesApplied: number;
  itemsPending: number;
  vmtx: string[];
  requestsLastPoll: number;
}

/** Per library, what the service knows. */
export interface LibraryStatus {
  library: string;
  configFile: string;
  /** This process publishes (holds the run lease) or waits for the holder to go away. */
  role: 'active' | 'standby';
  standbyFor?: string;
  originVersion?: number;
  lastSyncAt?: string;
  lastError?: Problem;
  bytesMoved: number;
  sources: SourceStatus[];
  replicas: { name: string; mode: string; state: ReplicaHealth; version?: number; lagSeconds?: number }[];
  archive?: { schedule: string; lastSlot?: string; lastRunAt?: string; lastError?: Problem; next?: string };
}

export interface ServiceStatus {
  startedAt: string;
  libraries: LibraryStatus[];
}

/** One line of `claas run --json` and of the JSON log: what happened, with its library. */
export type RunEvent =
  | { type: 'start'; libraries: string[] }
  | { type: 'role'; library: string; role: 'active' | 'standby'; holder?: string }
  | {
      type: 'poll';
      library: string;
      source: string;
      ok: boolean;
      items?: number;
      changed?: boolean;
      problem?: Problem;
    }
  | { type: 'pending-delete'; library: string; source: string; items: string[] }
  | { type: 'held'; library: string; source: string; reason: string }
  | {
      type: 'published';
      library: string;
      version: number;
      sources: string[];
      added: string[];
      changed: string[];
      removed: string[];
      bytes: number;
    }
  | { type: 'mirrored'; library: string; replica: string; version: number; bytes: number }
  | { type: 'replica'; library: string; replica: string; state: ReplicaHealth }
  | { type: 'archived'; library: string; slot: string; to: string; version: number }
  | { type: 'vmtx'; library: string; source: string; items: string[] }
  | { type: 'error'; library: string; problem: Problem }
  | { type: 'reload'; ok: boolean; problem?: Problem }
  | { type: 'stop'; reason: string }
  /** `claas run --listen`: where /healthz and /metrics answer (the CLI reports it, not the service). */
  | { type: 'listening'; url: string };

export type RunEventSink = (e: RunEvent) => void;

/** A configuration `claas run` was given, as loaded. */
export type RunConfig = ClaasConfig;
