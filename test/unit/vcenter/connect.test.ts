// Connecting: the server address, credentials refused before any request, flavour probing (POST
// /api/session; a 404 falls back to POST /rest/com/vmware/cis/session), login failures, and TLS: an
// untrusted certificate is refused with its thumbprint before a single request byte is sent.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isClaasError } from '../../../src/errors.js';
import type { ClaasError } from '../../../src/errors.js';
import { connectVcenter, parseServer } from '../../../src/vcenter/index.js';
import { hasOpenssl } from '../gateway/openssl.js';
import { FakeVcenter, PASSWORD, SESSION_ID, USER, loginExpect } from './fake-vcenter.js';

const skip = hasOpenssl() ? false : 'openssl is not installed (the fake vCenter needs a certificate)';

async function withFake(fn: (fake: FakeVcenter) => Promise<void>): Promise<void> {
  const fake = await FakeVcenter.start();
  try {
    await fn(fake);
  } finally {
    await fake.close();
  }
}

test('parseServer accepts host, host:port and https URLs, and nothing else', () => {
  assert.equal(parseServer('vc.example.com'), 'https://vc.example.com');
  assert.equal(parseServer(' vc.example.com:8443 '), 'https://vc.example.com:8443');
  assert.equal(parseServer('https://vc.example.com/ui/'), 'https://vc.example.com');
  assert.equal(parseServer('https://10.0.0.5:443'), 'https://10.0.0.5');
  for (const bad of [
    '',
    'http://vc.example.com',
    'ftp://vc',
    'https://admin:secret@vc.example.com',
    'https://',
  ]) {
    assert.throws(
      () => parseServer(bad),
      (e: unknown) => {
        assert.ok(isClaasError(e, 'BAD_INPUT'), bad);
        assert.ok(!JSON.stringify(e).includes('secret'), 'credentials in a URL are never echoed');
        return true;
      },
    );
  }
});

test(
  'probe: /api/session 404 falls back to the legacy /rest session; logout uses the same flavour',
  { skip },
  async () => {
    await withFake(async (fake) => {
      fake.expect(loginExpect(404), {
        method: 'POST',
        path: '/rest/com/vmware/cis/session',
        session: false,
        headers: {
          authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`,
          'vmware-use-header-authn': 'true',
        },
        reply: { json: { value: SESSION_ID } },
      });
      const api = await connectVcenter(fake.options());
      assert.equal(api.flavour, 'rest');
      fake.expect({ method: 'DELETE', path: '/rest/com/vmware/cis/session', reply: { json: {} } });
      await api.logout();
      fake.done();
    });
  },
);

test(
  'probe: flavour can be forced; a wrong password is AUTH without trying the other flavour',
  { skip },
  async () => {
    await withFake(async (fake) => {
      fake.expect({
        method: 'POST',
        path: '/rest/com/vmware/cis/session',
        session: false,
        reply: { json: { value: SESSION_ID } },
      });
      const api = await connectVcenter(fake.options({ flavour: 'rest' }));
      assert.equal(api.flavour, 'rest');
      fake.expect({ method: 'DELETE', path: '/rest/com/vmware/cis/session' });
      await api.logout();

      fake.expect(loginExpect(401));
      await assert.rejects(connectVcenter(fake.options()), (e: unknown) => {
        assert.ok(isClaasError(e, 'AUTH'));
        assert.match(
          (e as Error).message,
          /refused the login of user 'administrator@vsphere\.local' \(HTTP 401\)/,
        );
        assert.ok(!JSON.stringify(e).includes(PASSWORD), 'the password never appears in an error');
        return true;
      });
      fake.expect(loginExpect(404), {
        method: 'POST',
        path: '/rest/com/vmware/cis/session',
        session: false,
        reply: { status: 404 },
      });
      await assert.rejects(connectVcenter(fake.options()), (e: unknown) => isClaasError(e, 'PROTOCOL'));
      fake.done();
    });
  },
);

test('empty credentials are refused before any request', { skip }, async () => {
  await withFake(async (fake) => {
    await assert.rejects(connectVcenter(fake.options({ password: '' })), (e: unknown) =>
      isClaasError(e, 'BAD_INPUT'),
    );
    await assert.rejects(connectVcenter(fake.options({ user: ' ' })), (e: unknown) =>
      isClaasError(e, 'BAD_INPUT'),
    );
    assert.deepEqual(fake.seen, []);
  });
});

test(
  'TLS: an unknown certificate is refused with its thumbprint, before any request is sent',
  { skip },
  async () => {
    await withFake(async (fake) => {
      await assert.rejects(connectVcenter(fake.options({ thumbprint: undefined })), (e: unknown) => {
        assert.ok(isClaasError(e, 'AUTH'));
        const err = e as ClaasError;
        assert.ok(err.message.includes(fake.thumbprint), err.message);
        assert.ok(err.hint?.includes(`--vcenter-thumbprint ${fake.thumbprint}`));
        return true;
      });
      const wrong = fake.thumbprint.replace(/^../, fake.thumbprint.startsWith('00') ? '11' : '00');
      await assert.rejects(connectVcenter(fake.options({ thumbprint: wrong })), (e: unknown) => {
        assert.ok(isClaasError(e, 'AUTH'));
        assert.ok((e as Error).message.includes(fake.thumbprint));
        return true;
      });
      await assert.rejects(connectVcenter(fake.options({ thumbprint: 'not-a-thumbprint' })), (e: unknown) =>
        isClaasError(e, 'BAD_INPUT'),
      );
      assert.deepEqual(fake.seen, [], 'no request (and so no password) reached an unverified server');
    });
  },
);

test('TLS: a CA file that holds the certificate is trusted', { skip }, async () => {
  await withFake(async (fake) => {
    fake.expect(loginExpect());
    const api = await connectVcenter(fake.options({ thumbprint: undefined, caFile: fake.certFile }));
    fake.expect({ method: 'DELETE', path: '/api/session' });
    await api.logout();
    fake.done();
  });
});
