// Test helper: the gateway in-process over libraries published to local folders (the same code the CLI
// runs, with FsStore replicas), and raw TCP clients that can misbehave on purpose (test/helpers/http.ts
// has the plain HTTP request).

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { writeSampleSource } from '../../../src/demo/samples.js';
import { FsStore } from '../../../src/store/fs.js';
import { startGateway } from '../../../src/gateway/multi/gateway.js';
import type { Gateway, GatewayOptions } from '../../../src/gateway/multi/gateway.js';
import type { GatewayAccessEntry } from '../../../src/gateway/multi/router.js';
import { hashPassword, newPassword } from '../../../src/gateway/multi/tenants.js';
import type { TenantRecord } from '../../../src/gateway/multi/tenants.js';
import { runCli } from '../../helpers/cli.js';

/** Publishes the sample items (plus a file of `bigMiB` MiB, when given) as a library in a local folder. */
export async function publishLocal(work: string, name: string, bigMiB = 0): Promise<string> {
  const src = join(work, `src-${name}`);
  await writeSampleSource(src);
  if (bigMiB > 0) {
    await mkdir(join(src, 'big'), { recursive: true });
    const chunk = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 31) % 251;
    await writeFile(join(src, 'big', 'big.iso'), Buffer.concat(Array.from({ length: bigMiB }, () => chunk)));
  }
  const root = join(work, 'libs', name);
  const r = await runCli(['publish', src, '--to', root, '--name', name, '--json'], {
    env: { CLAAS_CACHE_DIR: join(work, '.cache'), CLAAS_STATE_DIR: join(work, '.state') },
  });
  if (r.code !== 0) throw new Error(`publish failed: ${r.stderr}`);
  return root;
}

export async function makeTenant(
  name: string,
  libraries: string[],
  keyId: string,
): Promise<{ record: TenantRecord; password: string }> {
  const password = newPassword(keyId);
  return {
    record: {
      name,
      libraries,
      keyId,
      scrypt: await hashPassword(password),
      created: new Date().toISOString(),
    },
    password,
  };
}

export interface LocalGateway {
  gateway: Gateway;
  base: string;
  log: GatewayAccessEntry[];
}

/** A gateway on 127.0.0.1 serving each library from its folders (nearest first, named r0, r1, ...). */
export async function startLocalGateway(
  libraries: Record<string, string[]>,
  tenants: TenantRecord[],
  extra: Partial<GatewayOptions> = {},
): Promise<LocalGateway> {
  const log: GatewayAccessEntry[] = [];
  const gateway = await startGateway({
    host: '127.0.0.1',
    port: 0,
    libraries: Object.entries(libraries).map(([name, roots]) => ({
      name,
      replicas: roots.map((root, i) => ({ name: `r${i}`, store: new FsStore(root) })),
    })),
    tenants,
    onRequest: (e) => log.push(e),
    ...extra,
  });
  return { gateway, base: `http://127.0.0.1:${gateway.server.port}`, log };
}

/** A raw TCP connection to the gateway, for requests no HTTP client would send. */
export function rawSocket(base: string, localAddress = '127.0.0.1'): Promise<Socket> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const s = connect({ host: url.hostname, port: Number(url.port), localAddress }, () => resolve(s));
    s.once('error', reject);
  });
}

/**
 * Resolves with the milliseconds until the peer closed the socket (or rejects after limitMs). The socket
 * is read (and what arrives dropped): a socket whose data is not read never sees the peer's close.
 */
export function closedWithin(s: Socket, limitMs: number): Promise<number> {
  s.resume();
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`the server kept the connection open for more than ${limitMs} ms`));
    }, limitMs);
    const done = () => {
      clearTimeout(timer);
      resolve(Date.now() - t0);
    };
    s.once('close', done);
    s.on('error', () => undefined);
  });
}

/** Sends one request on a fresh connection and returns the status line, headers and body as text. */
export async function rawRequest(
  base: string,
  head: string,
  localAddress = '127.0.0.1',
): Promise<{ status: number; text: string }> {
  const s = await rawSocket(base, localAddress);
  const chunks: Buffer[] = [];
  s.on('data', (c: Buffer) => chunks.push(c));
  s.write(head);
  await closedWithin(s, 10_000).catch(() => undefined);
  const text = Buffer.concat(chunks).toString('latin1');
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text };
}
