// The vcsim test peer (scripts/test-env/vcsim.sh): its URL and login from the environment, and the info
// file it writes (inventory ids, certificate). Tests that need it skip with the reason vcsimSkip() gives
// when the environment is not set or vcsim is not running.

import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { VcenterConnectOptions } from '../../src/vcenter/index.js';

export interface VcsimRef {
  id: string;
  name: string;
  type?: string;
}

/** What vcsim writes to CLAAS_TEST_VCSIM_INFO when it serves (scripts/test-env/vcsim/main.go). */
export interface VcsimInfo {
  url: string;
  sdk: string;
  user: string;
  password: string;
  /** SHA-1 of the server certificate, AA:BB:... */
  thumbprint: string;
  /** The server certificate (self-signed, valid for 127.0.0.1) as a PEM file. */
  certFile: string;
  pid: number;
  datastores: VcsimRef[];
  resourcePools: VcsimRef[];
  folders: VcsimRef[];
  networks: VcsimRef[];
  hosts: VcsimRef[];
}

export interface VcsimEnv {
  url: string;
  user: string;
  password: string;
  infoFile: string;
  info: VcsimInfo;
}

export const VCSIM_SKIP_REASON =
  'vcsim test peer not configured: run `bash scripts/test-env/vcsim.sh up && ' +
  'eval "$(bash scripts/test-env/vcsim.sh env)"` first';

function load(env: NodeJS.ProcessEnv): { env?: VcsimEnv; reason: string } {
  const pick = (name: string) => (env[name] === undefined || env[name] === '' ? undefined : env[name]);
  const url = pick('CLAAS_TEST_VCSIM_URL');
  const user = pick('CLAAS_TEST_VCSIM_USER');
  const password = pick('CLAAS_TEST_VCSIM_PASSWORD');
  const infoFile = pick('CLAAS_TEST_VCSIM_INFO');
  if (url === undefined || user === undefined || password === undefined || infoFile === undefined) {
    return { reason: VCSIM_SKIP_REASON };
  }
  try {
    const info = JSON.parse(readFileSync(infoFile, 'utf8')) as VcsimInfo;
    return { env: { url, user, password, infoFile, info }, reason: '' };
  } catch {
    return { reason: `vcsim is not running (no ${infoFile}): run \`bash scripts/test-env/vcsim.sh up\`` };
  }
}

/** The running vcsim from CLAAS_TEST_VCSIM_* variables, or undefined (then vcsimSkip() says why). */
export function vcsimEnv(env: NodeJS.ProcessEnv = process.env): VcsimEnv | undefined {
  return load(env).env;
}

/** For node:test's `skip` option: false when vcsim is there, else the reason. */
export function vcsimSkip(env: NodeJS.ProcessEnv = process.env): string | false {
  const { env: found, reason } = load(env);
  return found === undefined ? reason : false;
}

export function requireVcsim(): VcsimEnv {
  const { env, reason } = load(process.env);
  if (env === undefined) throw new Error(reason);
  return env;
}

/** Options to connect to vcsim, trusting its certificate by thumbprint unless extra says otherwise. */
export function vcsimConnectOptions(extra: Partial<VcenterConnectOptions> = {}): VcenterConnectOptions {
  const v = requireVcsim();
  return { server: v.url, user: v.user, password: v.password, thumbprint: v.info.thumbprint, ...extra };
}

/** The first of a kind of inventory object vcsim reported (its VPX model always has one). */
export function firstRef(kind: 'datastores' | 'resourcePools' | 'folders' | 'networks' | 'hosts'): VcsimRef {
  const ref = requireVcsim().info[kind][0];
  if (ref === undefined) throw new Error(`vcsim reported no ${kind}`);
  return ref;
}

/** A name no other test run uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}
