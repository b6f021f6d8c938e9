// The dashboard's libraries x stores matrix: for each library, `claas status` (src/replicate/status.ts, the
// same rule, the same code) over its origin and every replica claas.yaml names, read with the gateway's
// own credential. Checks run only while someone looks (lazy-refresh.ts).

import type { ClaasConfig } from '../../config/schema.js';
import { checkStatus, DEFAULT_SETTLE_MS } from '../../replicate/status.js';
import type { StatusReport, StoreStatus } from '../../replicate/status.js';
import type { ObjectStore } from '../../store/types.js';
import type { LibraryReplicas } from '../multi/replicas.js';
import { LazyRefresh } from './lazy-refresh.js';
import type { LazyRefreshOptions } from './lazy-refresh.js';

/** One library's configuration and how the gateway opens its stores (`origin` or a replica name). */
export interface MatrixSource {
  library: string;
  config: ClaasConfig;
  open(name: string): Promise<ObjectStore>;
}

export interface MatrixOptions extends LazyRefreshOptions {
  settleMs?: number;
}

export type MatrixStoreState = StoreStatus['state'] | 'pending';

export interface MatrixStore {
  name: string;
  role: 'origin' | 'replica';
  mode?: string;
  location: string;
  state: MatrixStoreState;
  libVersion?: number;
  consistentVersion?: number;
  behind?: number;
  lagSeconds?: number;
  missing: number;
  wrong: number;
  problems: string[];
  served: boolean;
  reachable: boolean | null;
}

export interface MatrixLibrary {
  library: string;
  checkedAt: string | null;
  state: StatusReport['state'] | 'pending';
  origin: { version?: number; committedAt?: string; ageSeconds?: number };
  stores: MatrixStore[];
  error?: string;
}

interface Entry {
  source: MatrixSource;
  status: LazyRefresh<StatusReport>;
}

const MAX_PROBLEMS = 10;

export class ReplicaMatrix {
  private entries = new Map<string, Entry>();
  private readonly settleMs: number;
  private readonly now: () => number;

  constructor(
    sources: MatrixSource[],
    private readonly o: MatrixOptions = {},
  ) {
    this.settleMs = o.settleMs ?? DEFAULT_SETTLE_MS;
    this.now = o.now ?? Date.now;
    this.setSources(sources);
  }

  /** New configurations (reload): a library whose configuration did not change keeps its last result. */
  setSources(sources: MatrixSource[]): void {
    const next = new Map<string, Entry>();
    for (const source of sources) {
      const old = this.entries.get(source.library);
      const same = old !== undefined && JSON.stringify(old.source.config) === JSON.stringify(source.config);
      next.set(
        source.library,
        same ? old : { source, status: new LazyRefresh(() => this.check(source), this.o) },
      );
    }
    this.entries = next;
  }

  /** The matrix for these served libraries (in their order), checking what is due. */
  async read(libraries: LibraryReplicas[]): Promise<MatrixLibrary[]> {
    const known = libraries.filter((l) => this.entries.has(l.library));
    await LazyRefresh.readAll(known.map((l) => this.entries.get(l.library)!.status));
    return libraries.map((lib) => this.row(lib));
  }

  private check(source: MatrixSource): Promise<StatusReport> {
    const { config, open } = source;
    return checkStatus(config, {
      settleMs: this.settleMs,
      now: () => new Date(this.now()),
      openOrigin: () => open(config.origin.name),
      openReplica: (_c, name) => open(name),
    });
  }

  private row(lib: LibraryReplicas): MatrixLibrary {
    const e = this.entries.get(lib.library);
    const result = e?.status.current();
    const served = lib.chosen()?.replica.name;
    const reachable = (name: string): boolean | null => {
      const r = lib.replicas.find((x) => x.name === name);
      return r === undefined || r.reachable === undefined ? null : r.reachable;
    };
    const report = result?.value;
    if (report === undefined) {
      const names = e === undefined ? lib.replicas.map((r) => r.name) : storeNames(e.source.config);
      return {
        library: lib.library,
        checkedAt: null,
        state: 'pending',
        origin: {},
        stores: names.map((name, i) => ({
          name,
          role: i === 0 && e !== undefined ? 'origin' : 'replica',
          location: '',
          state: 'pending',
          missing: 0,
          wrong: 0,
          problems: [],
          served: name === served,
          reachable: reachable(name),
        })),
        ...(result?.error === undefined ? {} : { error: result.error }),
      };
    }
    const committed = report.origin.committedAt;
    return {
      library: lib.library,
      checkedAt: report.checkedAt,
      state: report.state,
      origin: {
        ...(report.origin.version === undefined ? {} : { version: report.origin.version }),
        ...(committed === undefined
          ? {}
          : {
              committedAt: committed,
              ageSeconds: Math.max(0, Math.round((this.now() - Date.parse(committed)) / 1000)),
            }),
      },
      stores: report.stores.map((s) => matrixStore(s, served, reachable(s.name))),
      ...(result?.error === undefined ? {} : { error: result.error }),
    };
  }
}

function storeNames(config: ClaasConfig): string[] {
  return [config.origin.name, ...config.replicas.map((r) => r.name)];
}

function matrixStore(s: StoreStatus, served: string | undefined, reachable: boolean | null): MatrixStore {
  const problems = [
    ...(s.error === undefined
      ? []
      : [s.error.hint ? `${s.error.message} (${s.error.hint})` : s.error.message]),
    ...s.problems,
    ...s.wrongSize.map((w) => `${w.key}: ${w.actual} bytes, expected ${w.expected}`),
    ...s.wrongHash.map((w) => `${w.key}: content differs from the origin's`),
    ...s.missing.filter((m) => m.broken).map((m) => `${m.key}: ${m.reason}`),
  ];
  return {
    name: s.name,
    role: s.role,
    ...(s.mode === undefined ? {} : { mode: s.mode }),
    location: s.location,
    state: s.state,
    ...(s.libVersion === undefined ? {} : { libVersion: s.libVersion }),
    ...(s.consistentVersion === undefined ? {} : { consistentVersion: s.consistentVersion }),
    ...(s.behind === undefined ? {} : { behind: s.behind }),
    ...(s.lagSeconds === undefined ? {} : { lagSeconds: Math.round(s.lagSeconds) }),
    missing: s.missing.length,
    wrong: s.wrongSize.length + s.wrongHash.length,
    problems:
      problems.length > MAX_PROBLEMS
        ? [...problems.slice(0, MAX_PROBLEMS), `... and ${problems.length - MAX_PROBLEMS} more`]
        : problems,
    served: s.name === served,
    reachable,
  };
}
