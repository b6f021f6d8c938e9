// Why `claas mirror` may not write a replica, said as it is: the destination bucket does not grant the
// identity claas writes with. The error names that identity (the profile, the access key id and what the
// store says the caller is; never a secret) and the two ways out: the bucket policy `claas replication apply`
// writes, or writing with the replica's own credential (writeWith: replica, claas mirror --write-with).

import { ClaasError, isClaasError } from '../errors.js';
import type { ObjectStore } from '../store/types.js';
import type { ReplicaWriter } from './open-stores.js';

/** What the error needs to know about the run. */
export interface MirrorWriterContext {
  /** The replica's name in claas.yaml. */
  replica: string;
  /** Where the writer's credential came from. */
  as: ReplicaWriter['as'];
  /** The claas.yaml path as the user gave it (for the commands in the hint). */
  config: string;
}

const IDENTITY_TIMEOUT_MS = 5_000;

/** True when `e` is an access refusal on the destination store (not on the origin the copy reads). */
function refusedAt(e: unknown, dest: ObjectStore): e is ClaasError {
  if (!isClaasError(e, 'FORBIDDEN') || e.input === undefined) return false;
  return e.input === dest.display || e.input.startsWith(`${dest.display}/`);
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([p.catch(() => undefined), late]).finally(() => clearTimeout(timer));
}

/**
 * The identity a store's credential is, as far as it can be told without a secret: the profile (or the
 * default chain), the access key id, and the caller (STS ARN on AWS, the ListBuckets owner elsewhere).
 */
export async function describeWriter(store: ObjectStore): Promise<string> {
  const bucket = store.features.bucket;
  if (bucket === undefined) return 'this machine';
  const profile = bucket.location.profile;
  const [keyId, caller] = await Promise.all([
    withTimeout(bucket.accessKeyId(), IDENTITY_TIMEOUT_MS),
    withTimeout(bucket.callerIdentity(), IDENTITY_TIMEOUT_MS),
  ]);
  const parts = [profile === undefined ? 'the default credential chain' : `profile "${profile}"`];
  if (keyId !== undefined) parts.push(`access key id ${keyId}`);
  if (caller?.arn !== undefined) parts.push(caller.arn);
  else if (caller?.ownerId !== undefined) parts.push(`user "${caller.ownerId}"`);
  return parts.length === 1 ? parts[0]! : `${parts[0]} (${parts.slice(1).join(', ')})`;
}

function bucketOf(dest: ObjectStore): string {
  return dest.features.bucket?.location.bucket ?? dest.display;
}

/**
 * The error to report when the destination refused the writer; undefined when `e` is something else (it is
 * then reported as it is). Reads the writer's identity with `dest`, which must still be open.
 */
export async function explainRefusal(
  e: unknown,
  dest: ObjectStore,
  ctx: MirrorWriterContext | undefined,
): Promise<ClaasError | undefined> {
  if (ctx === undefined || !refusedAt(e, dest)) return undefined;
  const writer = await describeWriter(dest);
  const where = `Bucket ${bucketOf(dest)} (replica "${ctx.replica}")`;
  const cfg = `--config ${ctx.config}`;
  const ownCredential =
    "write with the replica's own credential: " +
    `writeWith: replica on replica "${ctx.replica}" in ${ctx.config}, or claas mirror --write-with replica`;
  const grant = (apply: string): string =>
    `let the bucket grant it: ${apply} ${cfg} writes the bucket policy that does, with the replica's ` +
    "credentials from claas.yaml (or the bucket's owner applies what " +
    `claas access policy --role publisher ${cfg} --principal <the writer's ARN> prints)`;
  const byWhom: Record<MirrorWriterContext['as'], { message: string; hint: string }> = {
    origin: {
      message: `${where} does not grant claas mirror write access to the origin's credential, ${writer}`,
      hint: `Either ${grant('claas replication apply')}, or ${ownCredential}.`,
    },
    profile: {
      message: `${where} does not grant claas mirror write access to the --profile credential, ${writer}`,
      hint:
        `Either ${grant("claas replication apply --writer-principal <the writer's ARN>")}, ` +
        `or ${ownCredential} (without --profile).`,
    },
    replica: {
      message: `${where} does not grant claas mirror write access to the replica's own credential, ${writer}`,
      hint:
        `Give that credential s3:ListBucket, s3:GetObject, s3:PutObject, s3:DeleteObject and the multipart ` +
        "actions under the replica's prefix, or write with the origin's credential (without writeWith: replica " +
        `and --write-with replica) after claas replication apply ${cfg} wrote the bucket policy that grants it.`,
    },
  };
  const { message, hint } = byWhom[ctx.as];
  return new ClaasError('FORBIDDEN', message, { input: e.input, hint, cause: e });
}
