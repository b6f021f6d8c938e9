// Shared set-up of the `claas run` CLI tests (run-cli*.test.ts): a temporary folder, the CLI environment
// with the Ceph test users as AWS profiles and isolated caches, and a fresh origin bucket; all removed
// (and any `claas run` still running killed) by dispose().

import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBucket, deleteBucket, uniqueBucketName } from '../../helpers/ceph.js';
import { awsProfilesEnv } from '../../helpers/aws-profiles.js';
import { isolatedEnv } from '../../helpers/cli.js';
import { killAllRuns } from './run-helpers.js';

export interface RunWorkspace {
  work: string;
  env: Record<string, string>;
  /** The origin bucket (the library at s3://<origin>/lib). */
  origin: string;
  dispose(): Promise<void>;
}

export async function runWorkspace(name: string): Promise<RunWorkspace> {
  const work = mkdtempSync(join(tmpdir(), `${name}-`));
  const env = { ...isolatedEnv(work), ...(await awsProfilesEnv(work)) };
  const origin = uniqueBucketName(name);
  await createBucket(origin);
  return {
    work,
    env,
    origin,
    async dispose() {
      await killAllRuns();
      await deleteBucket(origin);
      await rm(work, { recursive: true, force: true });
    },
  };
}
