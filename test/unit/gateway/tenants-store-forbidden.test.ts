// A credential whose s3:ListBucket is limited to prefixes (the policies `claas access policy` prints) gets 403,
// not 404, for a HEAD of a missing key from S3 and Ceph RGW: the tenants object is then looked up by listing
// the key itself, so a missing one stays "none yet" while a present but unreadable one is still an error.
// The real behaviour is covered on Ceph by test/integration/gateway-tenants-store.test.ts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONTROL_TENANTS_KEY } from '../../../src/config/control-layout.js';
import { ClaasError, isClaasError } from '../../../src/errors.js';
import { readStoredTenants } from '../../../src/gateway/multi/tenants-store.js';
import { FsStore } from '../../../src/store/fs.js';
import type { StoredObject } from '../../../src/store/types.js';

/** A folder store whose HEAD is refused, as S3 refuses it to a prefix-limited lister. */
class HeadRefused extends FsStore {
  override head(key: string): Promise<StoredObject | undefined> {
    return Promise.reject(new ClaasError('FORBIDDEN', `This credential cannot read ${key}`, { input: key }));
  }
}

test('HEAD refused: a missing tenants object is none; a present one is still refused', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'claas-tstore-403-'));
  const store = new HeadRefused(dir);
  try {
    await writeFile(join(dir, `${CONTROL_TENANTS_KEY}.bak`), '{}'); // listed under the key, not the key
    assert.equal(await readStoredTenants(store), undefined);
    await writeFile(join(dir, CONTROL_TENANTS_KEY), '{"format":"claas.tenants/1","tenants":[]}');
    await assert.rejects(readStoredTenants(store), (e) => isClaasError(e, 'FORBIDDEN'));
  } finally {
    store.close();
    await rm(dir, { recursive: true, force: true });
  }
});
