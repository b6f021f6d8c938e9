// Who is acting: STS GetCallerIdentity where it answers (a local stand-in here), else the configured name or
// the access key id; user@host for local folders. The secret key never appears in what is recorded.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { resolveActor } from '../../../src/publish/identity.js';
import { FsStore } from '../../../src/store/fs.js';
import { openS3Store } from '../../../src/store/s3.js';
import type { ObjectStore } from '../../../src/store/types.js';
import { withTempDir } from '../../helpers/cli.js';

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

/** A real S3 store with static test credentials at `endpoint` (nothing is sent until STS is asked). */
function s3Store(endpoint: string, profile?: string): Promise<ObjectStore> {
  return openS3Store(
    { kind: 's3', bucket: 'bucket', prefix: 'lib', endpoint, ...(profile ? { profile } : {}) },
    { credentials: { accessKeyId: 'AKIAEXAMPLE123', secretAccessKey: SECRET } },
  );
}

test('local folders: user@host, or the configured name', async () => {
  await withTempDir(async (dir) => {
    const a = await resolveActor(new FsStore(join(dir, 'a')), { env: {} });
    assert.equal(a.source, 'os');
    assert.match(a.name, /^.+@.+$/);
    const b = await resolveActor(new FsStore(join(dir, 'b')), { env: { CLAAS_ACTOR: 'release-bot' } });
    assert.deepEqual([b.name, b.source], ['release-bot', 'configured']);
  });
});

test('S3 without STS: the configured name, else the access key id (with the profile); never the secret', async (t) => {
  const unreachable = await s3Store('http://127.0.0.1:9');
  const withProfile = await s3Store('http://127.0.0.1:9', 'publisher');
  t.after(() => [unreachable, withProfile].forEach((s) => s.close()));
  const configured = await resolveActor(unreachable, { env: { CLAAS_ACTOR: 'ci' }, stsTimeoutMs: 2000 });
  assert.deepEqual(
    [configured.name, configured.source, configured.accessKeyId],
    ['ci', 'configured', 'AKIAEXAMPLE123'],
  );
  const key = await resolveActor(withProfile, { env: {}, noSts: true });
  assert.deepEqual(
    [key.name, key.source, key.profile],
    ['AKIAEXAMPLE123 (profile publisher)', 'access-key', 'publisher'],
  );
  for (const a of [configured, key]) assert.ok(!JSON.stringify(a).includes(SECRET), 'no secret recorded');
});

test('S3 with STS: the caller ARN from GetCallerIdentity', async () => {
  let body = '';
  const server = createServer((req, res) => {
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(
        '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>' +
          '<Arn>arn:aws:iam::123456789012:user/publisher</Arn><UserId>AIDAEXAMPLE</UserId>' +
          '<Account>123456789012</Account></GetCallerIdentityResult>' +
          '<ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>',
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const port = (server.address() as AddressInfo).port;
    const store = await s3Store(`http://127.0.0.1:${port}`);
    const a = await resolveActor(store, { env: { CLAAS_ACTOR: 'ignored' } }).finally(() => store.close());
    assert.equal(a.source, 'sts');
    assert.equal(a.name, 'arn:aws:iam::123456789012:user/publisher');
    assert.equal(a.account, '123456789012');
    assert.match(body, /Action=GetCallerIdentity/);
    assert.ok(!JSON.stringify(a).includes(SECRET));
  } finally {
    server.close();
  }
});
