// The sources of `claas run`, for the dashboard, when the gateway runs inside `claas run`: per library,
// whether this process publishes it, and per source the last poll, the last change applied, the last
// error, items waiting for deletion and the VM templates (vmtx) not copied. The gateway may not import
// run/, so the shape is declared here (structurally a subset of run/'s LibraryStatus) and the answer is
// built from explicit fields only.

interface RunProblem {
  message: string;
  hint?: string;
  at: string;
}

export interface RunSourceView {
  source: string;
  kind: string;
  lastPollAt?: string;
  lastSuccessAt?: string;
  lastChangeAt?: string;
  lastError?: RunProblem;
  polls: number;
  changesApplied: number;
  itemsPending: number;
  vmtx: string[];
}

export interface RunLibraryView {
  library: string;
  role: 'active' | 'standby';
  standbyFor?: string;
  originVersion?: number;
  lastSyncAt?: string;
  lastError?: RunProblem;
  sources: RunSourceView[];
}

/** What `claas run` passes the gateway: its libraries' status now. */
export type RunSourcesProvider = () => readonly RunLibraryView[];

const problem = (p: RunProblem | undefined): RunProblem | null =>
  p === undefined
    ? null
    : { message: p.message, ...(p.hint === undefined ? {} : { hint: p.hint }), at: p.at };

/** The `sources` of GET /api/overview (docs/api.md). */
export function runSourcesView(provider: RunSourcesProvider): unknown[] {
  return provider().map((lib) => ({
    library: lib.library,
    role: lib.role,
    standbyFor: lib.standbyFor ?? null,
    originVersion: lib.originVersion ?? null,
    lastSyncAt: lib.lastSyncAt ?? null,
    lastError: problem(lib.lastError),
    sources: lib.sources.map((s) => ({
      source: s.source,
      kind: s.kind,
      lastPollAt: s.lastPollAt ?? null,
      lastSuccessAt: s.lastSuccessAt ?? null,
      lastChangeAt: s.lastChangeAt ?? null,
      lastError: problem(s.lastError),
      polls: s.polls,
      changesApplied: s.changesApplied,
      itemsPending: s.itemsPending,
      vmtx: [...s.vmtx],
    })),
  }));
}
