// The certificate-checking HTTPS agent against a local HTTPS server with a self-signed certificate made
// by generateSelfSigned: the pinned thumbprint is accepted in any spelling, another one is refused with
// an error naming the thumbprint the server has, a CA file holding the certificate is trusted (host name
// still verified), and without either the certificate is refused; every refusal comes before the request
// (and its Authorization header) is written.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certificateThumbprint, generateSelfSigned } from '../../../src/net/tls.js';
import { TrustAgent } from '../../../src/net/trust-agent.js';
import { caFileContext } from '../../../src/net/trust-store.js';
import { isClaasError } from '../../../src/errors.js';
import type { ClaasError } from '../../../src/errors.js';
import { hasOpenssl } from '../gateway/openssl.js';

const skip = !hasOpenssl() && 'openssl not installed';

interface Peer {
  server: Server;
  port: number;
  thumbprint: string;
  caFile: string;
  /** Requests that reached the server. */
  requests: number;
}

let dir: string;
/** A server whose certificate names 127.0.0.1, the address it listens on. */
let good: Peer;
/** A server on 127.0.0.1 whose certificate names another host. */
let misnamed: Peer;

async function serve(certHost: string): Promise<Peer> {
  const { cert, key } = await generateSelfSigned(certHost);
  const caFile = join(dir, `${certHost}.pem`);
  await writeFile(caFile, cert);
  const peer = { thumbprint: certificateThumbprint(cert), caFile, requests: 0 } as Peer;
  peer.server = createServer({ cert, key }, (_req, res) => {
    peer.requests++;
    res.end('ok');
  });
  await new Promise<void>((resolve) => peer.server.listen(0, '127.0.0.1', resolve));
  peer.port = (peer.server.address() as AddressInfo).port;
  return peer;
}

before(async () => {
  if (skip) return;
  dir = await mkdtemp(join(tmpdir(), 'claas-trust-agent-'));
  good = await serve('127.0.0.1');
  misnamed = await serve('claas.invalid');
});

after(async () => {
  if (skip) return;
  for (const p of [good, misnamed]) {
    p.server.closeAllConnections();
    await new Promise((resolve) => p.server.close(resolve));
  }
  await rm(dir, { recursive: true, force: true });
});

/** A GET with a credential through agent; resolves with the body. */
function get(agent: TrustAgent, peer: Peer): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: peer.port,
        path: '/lib.json',
        agent,
        headers: { Authorization: 'Basic c2VjcmV0' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks).toString()));
        res.on('error', reject);
      },
    );
    req.once('error', reject);
    req.end();
  });
}

/** Runs a request that must be refused, asserting that the server never saw it; returns the error. */
async function refused(agent: TrustAgent, peer: Peer): Promise<Error & { code?: string }> {
  const count = peer.requests;
  const e = await get(agent, peer).then(
    () => assert.fail('the request was not refused'),
    (err: unknown) => err as Error & { code?: string },
  );
  assert.equal(peer.requests, count, 'the request reached the server');
  return e;
}

test('the pinned thumbprint is accepted, in any spelling', { skip }, async () => {
  for (const pin of [good.thumbprint, good.thumbprint.replace(/:/g, '').toLowerCase()]) {
    const agent = new TrustAgent({ thumbprint: pin });
    try {
      assert.equal(await get(agent, good), 'ok');
      assert.equal(await get(agent, good), 'ok');
    } finally {
      agent.destroy();
    }
  }
  assert.throws(
    () => new TrustAgent({ thumbprint: 'AB:CD' }),
    (e) => isClaasError(e, 'BAD_INPUT'),
  );
});

test(
  'another thumbprint is refused before the request is sent, naming the one the server has',
  { skip },
  async () => {
    const wrong = good.thumbprint.replace(/^../, good.thumbprint.startsWith('00') ? '11' : '00');
    const agent = new TrustAgent({ thumbprint: wrong });
    try {
      const e = await refused(agent, good);
      assert.ok(isClaasError(e, 'AUTH'), String(e));
      assert.ok(e.message.includes(`thumbprint ${good.thumbprint}`), e.message);
      assert.ok(e.message.includes(`not the pinned ${wrong}`), e.message);
      assert.equal((e as ClaasError).input, `127.0.0.1:${good.port}`);
    } finally {
      agent.destroy();
    }
  },
);

test('a pinned thumbprint is trusted whatever host the certificate names', { skip }, async () => {
  const agent = new TrustAgent({ thumbprint: misnamed.thumbprint });
  try {
    assert.equal(await get(agent, misnamed), 'ok');
  } finally {
    agent.destroy();
  }
});

test('a CA file holding the certificate is trusted; the host name is still verified', { skip }, async () => {
  const agent = new TrustAgent({ secureContext: await caFileContext(good.caFile) });
  try {
    assert.equal(await get(agent, good), 'ok');
  } finally {
    agent.destroy();
  }
  const other = new TrustAgent({ secureContext: await caFileContext(misnamed.caFile) });
  try {
    const e = await refused(other, misnamed);
    assert.equal(e.code, 'ERR_TLS_CERT_ALTNAME_INVALID', String(e));
  } finally {
    other.destroy();
  }
  await assert.rejects(caFileContext(join(dir, 'missing.pem')), (e: unknown) => {
    assert.ok(isClaasError(e, 'NOT_FOUND'));
    assert.match(e.message, /Cannot read the CA file .*missing\.pem/);
    return true;
  });
});

test(
  "without a pin or CA file a self-signed certificate is refused with Node's reason",
  { skip },
  async () => {
    const agent = new TrustAgent();
    try {
      const e = await refused(agent, good);
      assert.equal(e.code, 'DEPTH_ZERO_SELF_SIGNED_CERT', String(e));
    } finally {
      agent.destroy();
    }
  },
);

test('callers word the refusals themselves', { skip }, async () => {
  const seen: string[] = [];
  const agent = new TrustAgent({
    untrusted: (peer, thumbprint, reason) => {
      seen.push(`${peer.origin} ${thumbprint} ${reason}`);
      return new Error('untrusted');
    },
  });
  try {
    assert.equal((await refused(agent, good)).message, 'untrusted');
    assert.deepEqual(seen, [`https://127.0.0.1:${good.port} ${good.thumbprint} DEPTH_ZERO_SELF_SIGNED_CERT`]);
  } finally {
    agent.destroy();
  }
  const pinned = new TrustAgent({
    thumbprint: '00'.repeat(20),
    pinMismatch: (_peer, thumbprint, pin) => new Error(`${thumbprint} vs ${pin}`),
  });
  try {
    const e = await refused(pinned, good);
    assert.equal(e.message, `${good.thumbprint} vs ${'00:'.repeat(19)}00`);
  } finally {
    pinned.destroy();
  }
});
