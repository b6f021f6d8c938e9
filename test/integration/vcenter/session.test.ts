// Against vcsim: login and logout, flavour probing (vcsim speaks only the legacy /rest API), credentials
// refused before anything is sent, and TLS trust: an unknown certificate is refused with its thumbprint
// printed, and accepted when pinned by that thumbprint or trusted through a CA file.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClaasError, isClaasError } from '../../../src/errors.js';
import { connectVcenter } from '../../../src/vcenter/index.js';
import { requireVcsim, vcsimConnectOptions, vcsimSkip } from '../../helpers/vcsim.js';

const skip = vcsimSkip();

test(
  'login with a pinned thumbprint, probe picks the legacy /rest flavour, logout ends the session',
  { skip },
  async () => {
    const api = await connectVcenter(vcsimConnectOptions());
    assert.equal(api.flavour, 'rest');
    assert.equal(api.server, requireVcsim().url);
    assert.ok(Array.isArray(await api.listLibraries()));
    await api.logout();
    // The session is gone: a further call is refused as unauthenticated.
    await assert.rejects(api.listLibraries(), (e: unknown) => isClaasError(e, 'AUTH'));
  },
);

test('forcing the /api flavour fails clearly on a vCenter without it', { skip }, async () => {
  await assert.rejects(connectVcenter(vcsimConnectOptions({ flavour: 'api' })), (e: unknown) => {
    assert.ok(isClaasError(e, 'NOT_FOUND'), String(e));
    assert.match((e as ClaasError).message, /has no \/api/);
    return true;
  });
});

test('an empty password or user is refused before anything is sent', { skip }, async () => {
  // Port 9 (discard) on loopback: nothing listens, so any network attempt would fail as UNREACHABLE.
  for (const [user, password] of [
    ['user', ''],
    ['', 'pass'],
  ] as const) {
    await assert.rejects(connectVcenter({ server: 'https://127.0.0.1:9', user, password }), (e: unknown) => {
      assert.ok(isClaasError(e, 'BAD_INPUT'), String(e));
      return true;
    });
  }
  // vcsim itself would accept an empty password only if asked; claas never asks.
  await assert.rejects(connectVcenter(vcsimConnectOptions({ password: '' })), (e: unknown) =>
    isClaasError(e, 'BAD_INPUT'),
  );
});

test(
  'an unknown certificate is refused with its thumbprint printed, never trusted silently',
  { skip },
  async () => {
    const { info } = requireVcsim();
    const { thumbprint: _pin, ...noPin } = vcsimConnectOptions();
    await assert.rejects(connectVcenter(noPin), (e: unknown) => {
      assert.ok(isClaasError(e, 'AUTH'), String(e));
      const err = e as ClaasError;
      assert.ok(err.message.includes(info.thumbprint), err.message);
      assert.ok(err.hint?.includes(`--vcenter-thumbprint ${info.thumbprint}`), err.hint);
      return true;
    });
  },
);

test(
  'the printed thumbprint, in any spelling, is accepted; a different one is refused',
  { skip },
  async () => {
    const { info } = requireVcsim();
    const lower = info.thumbprint.toLowerCase().replace(/:/g, '');
    const api = await connectVcenter(vcsimConnectOptions({ thumbprint: lower }));
    await api.logout();
    const wrong = `${info.thumbprint.slice(0, -2)}${info.thumbprint.endsWith('00') ? '11' : '00'}`;
    await assert.rejects(connectVcenter(vcsimConnectOptions({ thumbprint: wrong })), (e: unknown) => {
      assert.ok(isClaasError(e, 'AUTH'), String(e));
      assert.match((e as ClaasError).message, new RegExp(`not the pinned ${wrong}`));
      return true;
    });
  },
);

test(
  'a CA file holding the server certificate is trusted (chain and host name verified)',
  { skip },
  async () => {
    const { info } = requireVcsim();
    const { thumbprint: _pin, ...noPin } = vcsimConnectOptions();
    const api = await connectVcenter({ ...noPin, caFile: info.certFile });
    assert.equal(api.flavour, 'rest');
    await api.logout();
    await assert.rejects(connectVcenter({ ...noPin, caFile: '/nonexistent/ca.pem' }), (e: unknown) =>
      isClaasError(e, 'NOT_FOUND'),
    );
  },
);

test('a closed port is UNREACHABLE naming the server', { skip }, async () => {
  await assert.rejects(
    connectVcenter(vcsimConnectOptions({ server: 'https://127.0.0.1:9' })),
    (e: unknown) => {
      assert.ok(isClaasError(e, 'UNREACHABLE'), String(e));
      assert.match((e as ClaasError).message, /127\.0\.0\.1:9/);
      return true;
    },
  );
});
