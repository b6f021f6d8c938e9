// Local checkpoints of multipart uploads, so a killed or failed put resumes: the UploadId and the parts that
// completed, written atomically after each part. One JSON file per destination object, named by the SHA-256
// of endpoint, bucket and key, in ${CLAAS_STATE_DIR:-${XDG_STATE_HOME:-~/.local/state}/claas}/uploads/.
// Checkpoints hold no credentials.

import { createHash } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/fs-atomic.js';

export interface CheckpointPart {
  PartNumber: number;
  ETag: string;
  /** SHA-256 (hex) of the part's bytes, to tell whether the local bytes are still the ones that were sent. */
  sha256: string;
}

export interface UploadCheckpoint {
  /** 2: parts carry their SHA-256 (1, with MD5s, is not resumed: such an upload starts over). */
  version: 2;
  endpoint: string;
  bucket: string;
  key: string;
  uploadId: string;
  size: number;
  partSize: number;
  /** SHA-256 of the whole object. */
  sha256: string;
  /** Content type, storage class, encryption and tags the upload was created with. */
  settings: string;
  parts: CheckpointPart[];
}

/** The default folder for upload checkpoints. */
export function defaultCheckpointDir(env: NodeJS.ProcessEnv = process.env): string {
  const stateDir =
    nonEmpty(env.CLAAS_STATE_DIR) ??
    join(nonEmpty(env.XDG_STATE_HOME) ?? join(homedir(), '.local', 'state'), 'claas');
  return join(stateDir, 'uploads');
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}

export function checkpointPath(dir: string, endpoint: string, bucket: string, key: string): string {
  const name = createHash('sha256').update(`${endpoint}\n${bucket}\n${key}`).digest('hex');
  return join(dir, `${name}.json`);
}

function isCheckpoint(v: unknown): v is UploadCheckpoint {
  if (typeof v !== 'object' || v === null) return false;
  const c = v as Partial<UploadCheckpoint>;
  return (
    c.version === 2 &&
    typeof c.uploadId === 'string' &&
    typeof c.key === 'string' &&
    typeof c.bucket === 'string' &&
    typeof c.size === 'number' &&
    typeof c.partSize === 'number' &&
    typeof c.sha256 === 'string' &&
    typeof c.settings === 'string' &&
    Array.isArray(c.parts) &&
    c.parts.every(
      (p) =>
        typeof p === 'object' &&
        p !== null &&
        typeof p.PartNumber === 'number' &&
        typeof p.ETag === 'string' &&
        typeof p.sha256 === 'string',
    )
  );
}

/** The checkpoint at path, or undefined when there is none or it is unreadable (then it is ignored). */
export async function loadCheckpoint(path: string): Promise<UploadCheckpoint | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    return isCheckpoint(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Serialized, atomic writes of one upload's checkpoint: parts finish concurrently, each save writes the
 * state as it is then, and saves never overlap or land out of order.
 */
export class CheckpointWriter {
  private chain: Promise<void> = Promise.resolve();
  private pending: Promise<void> | undefined;
  private failed: unknown;

  constructor(
    readonly path: string,
    private readonly state: UploadCheckpoint,
  ) {}

  get checkpoint(): UploadCheckpoint {
    return this.state;
  }

  /** Records a completed part and saves. */
  addPart(part: CheckpointPart): Promise<void> {
    this.state.parts = this.state.parts.filter((p) => p.PartNumber !== part.PartNumber);
    this.state.parts.push(part);
    return this.save();
  }

  /**
   * Saves the current state. Saves coalesce: while one write is in flight, further calls share a single
   * follow-up write of the newest state, so a fast upload is never throttled by fsync latency.
   */
  save(): Promise<void> {
    if (this.pending !== undefined) return this.pending;
    const next = this.chain.then(async () => {
      this.pending = undefined;
      const snapshot = JSON.stringify(
        { ...this.state, parts: [...this.state.parts].sort((a, b) => a.PartNumber - b.PartNumber) },
        null,
        1,
      );
      try {
        await writeFileAtomic(this.path, snapshot);
      } catch (e) {
        // A lost checkpoint only costs a resume; remember the error for flush() without failing the upload.
        this.failed = e;
      }
    });
    this.pending = next;
    this.chain = next;
    return next;
  }

  /** Waits for pending saves; returns the last save error, if any. */
  async flush(): Promise<unknown> {
    await this.chain;
    return this.failed;
  }

  async remove(): Promise<void> {
    await this.chain;
    await rm(this.path, { force: true });
  }
}

export async function removeCheckpoint(path: string): Promise<void> {
  await rm(path, { force: true });
}
