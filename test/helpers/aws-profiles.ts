// Writes AWS shared config/credentials files with one profile per Ceph test user, so CLI runs use the
// standard credential chain (--profile) exactly as users do. Test keys only; files live in a temp dir.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cephEnv } from './ceph.js';

export async function awsProfilesEnv(dir: string): Promise<Record<string, string>> {
  const env = cephEnv();
  if (env === undefined) throw new Error('Ceph test env not configured');
  const creds = Object.entries(env.users)
    .map(
      ([user, c]) =>
        `[${user}]\naws_access_key_id = ${c.accessKeyId}\naws_secret_access_key = ${c.secretAccessKey}\n`,
    )
    .join('\n');
  const config = Object.keys(env.users)
    .map((user) => `[profile ${user}]\nregion = us-east-1\n`)
    .join('\n');
  await writeFile(join(dir, 'aws-credentials'), creds, { mode: 0o600 });
  await writeFile(join(dir, 'aws-config'), config);
  return {
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'aws-credentials'),
    AWS_CONFIG_FILE: join(dir, 'aws-config'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ACCESS_KEY_ID: '',
    AWS_SECRET_ACCESS_KEY: '',
  };
}
