// The tenants file (gateway.tenants in claas.yaml, managed by `claas tenant`): who may read which
// libraries through the gateway. Each tenant has one generated password, stored only as a scrypt hash.
//
// Tenant identification: vCenter sends user "vcsp" and lets a subscription set only the URL and the
// password, so the tenant is named by its password. A generated password carries a public lookup id:
// `claas_<keyId>_<secret>` (keyId: 8 characters, secret: 192 random bits). The gateway finds the one
// candidate by keyId and runs one scrypt check against it (or against a dummy hash when no tenant has that
// keyId), so every check costs the same and says nothing about which tenants exist. The subscription URL
// stays `/<library>/lib.json` and names no tenant.
//
// The file is JSON, mode 0600, replaced atomically (temp file, fsync, rename); changes take a lock file
// beside it so that two `claas tenant` runs do not lose each other's changes. The same document can live
// in the origin bucket instead (gateway.tenants: store, tenants-store.ts): both are a TenantsBackend, and
// the verbs below work on either.

import { randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import type { BinaryLike, ScryptOptions } from 'node:crypto';
import { hostname } from 'node:os';
import { open, readFile, rm, stat } from 'node:fs/promises';
import { z } from 'zod';
import { ClaasError, badInput } from '../../errors.js';
import { fsyncDir, writeFileAtomic } from '../../util/fs-atomic.js';
import { dirname } from 'node:path';

export const TENANTS_FORMAT = 'claas.tenants/1';
/** scrypt cost: N = 2^15, r = 8, p = 1 (32 MiB and roughly 50-100 ms per check). */
export const SCRYPT_PARAMS = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
const SALT_BYTES = 16;
const SECRET_BYTES = 24;
/** scrypt needs 128 * N * r bytes; Node's default limit (32 MiB) is just too small for N = 2^15. */
const SCRYPT_MAXMEM = 96 * 1024 * 1024;

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const KEY_ID_RE = /^[a-z0-9]{8}$/;
const PASSWORD_RE = /^claas_([a-z0-9]{8})_([A-Za-z0-9_-]{32})$/;

/** The largest tenants document read (about 30,000 tenants): a bigger one is refused unread. */
export const MAX_TENANTS_BYTES = 16 * 1024 * 1024;

// Bounded everywhere: a hostile document (a store object anyone with write access could replace) must not
// make one check cost more than scrypt at N = 2^16 (64 MiB at r = 8, within SCRYPT_MAXMEM) nor hold big
// strings.
const ScryptSchema = z.strictObject({
  N: z
    .number()
    .int()
    .min(SCRYPT_PARAMS.N)
    .max(2 ** 16),
  r: z.number().int().min(1).max(8),
  p: z.number().int().min(1).max(4),
  salt: z.string().min(16).max(128),
  hash: z.string().min(32).max(128),
});

const TenantSchema = z.strictObject({
  name: z.string().regex(NAME_RE),
  libraries: z.array(z.string().regex(NAME_RE)).max(1000),
  keyId: z.string().regex(KEY_ID_RE),
  scrypt: ScryptSchema,
  created: z.string().max(64),
  rotated: z.string().max(64).optional(),
});

const FileSchema = z.strictObject({
  format: z.literal(TENANTS_FORMAT),
  tenants: z.array(TenantSchema),
});

export type ScryptHash = z.infer<typeof ScryptSchema>;
export type TenantRecord = z.infer<typeof TenantSchema>;
export type TenantsFile = z.infer<typeof FileSchema>;

/** What `claas tenant list` and logs may show of a tenant: never the hash or the key id. */
export interface TenantInfo {
  name: string;
  libraries: string[];
  created: string;
  rotated?: string;
}

export function tenantInfo(t: TenantRecord): TenantInfo {
  return {
    name: t.name,
    libraries: [...t.libraries],
    created: t.created,
    ...(t.rotated === undefined ? {} : { rotated: t.rotated }),
  };
}

function scrypt(password: BinaryLike, salt: BinaryLike, keylen: number, o: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(password, salt, keylen, o, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** A new scrypt hash of a password with a random salt. */
export async function hashPassword(
  password: string,
  params: { N: number; r: number; p: number } = SCRYPT_PARAMS,
): Promise<ScryptHash> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await scrypt(password, salt, KEY_LENGTH, { ...params, maxmem: SCRYPT_MAXMEM });
  return { ...params, salt: salt.toString('base64'), hash: hash.toString('base64') };
}

/** Derives the key for a password under a stored hash's salt and parameters. */
export async function deriveKey(password: string, h: ScryptHash): Promise<Buffer> {
  const expected = Buffer.from(h.hash, 'base64');
  return scrypt(password, Buffer.from(h.salt, 'base64'), expected.length, {
    N: h.N,
    r: h.r,
    p: h.p,
    maxmem: SCRYPT_MAXMEM,
  });
}

/** Constant-time check of a password against a stored hash. */
export async function verifyPassword(password: string, h: ScryptHash): Promise<boolean> {
  const expected = Buffer.from(h.hash, 'base64');
  const derived = await deriveKey(password, h);
  return derived.length === expected.length && timingSafeEqual(derived, expected);
}

/** The key id a generated password carries, or undefined when it is not one claas generated. */
export function passwordKeyId(password: string): string | undefined {
  return PASSWORD_RE.exec(password)?.[1];
}

function newKeyId(taken: Set<string>): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  for (;;) {
    const bytes = randomBytes(8);
    const id = [...bytes].map((b) => alphabet[b % 36]).join('');
    if (!taken.has(id)) return id;
  }
}

/** A new password for a key id: claas_<keyId>_<32 characters of base64url, 192 bits>. */
export function newPassword(keyId: string): string {
  return `claas_${keyId}_${randomBytes(SECRET_BYTES).toString('base64url')}`;
}

export function emptyTenants(): TenantsFile {
  return { format: TENANTS_FORMAT, tenants: [] };
}

/** Parses the text of a tenants file; `input` names it in errors. */
export function parseTenants(text: string, input: string): TenantsFile {
  if (text.length > MAX_TENANTS_BYTES) {
    throw badInput(
      `The tenants document is larger than ${MAX_TENANTS_BYTES} bytes`,
      input,
      'It is not one claas wrote: restore it from a backup.',
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw badInput(
      'The tenants file is not valid JSON',
      input,
      'Restore it from a backup, or remove it and add the tenants again.',
    );
  }
  const parsed = FileSchema.safeParse(data);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first === undefined ? '' : ` at ${first.path.join('.') || '(top)'}: ${first.message}`;
    throw badInput(
      `The tenants file is not a claas tenants file${where}`,
      input,
      'It is written by `claas tenant`; do not edit it by hand.',
    );
  }
  const names = new Set<string>();
  const keyIds = new Set<string>();
  for (const t of parsed.data.tenants) {
    if (names.has(t.name.toLowerCase()))
      throw badInput(`The tenants file lists tenant "${t.name}" twice`, input);
    if (keyIds.has(t.keyId))
      throw badInput(`Two tenants in the tenants file share a key id`, input, 'Rotate one of them.');
    names.add(t.name.toLowerCase());
    keyIds.add(t.keyId);
  }
  return parsed.data;
}

/** Reads the tenants file; a missing file is an empty one. */
export async function readTenants(path: string): Promise<TenantsFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return emptyTenants();
    throw new ClaasError('BAD_INPUT', 'cannot read the tenants file', {
      input: path,
      hint: `check its permissions (${(e as NodeJS.ErrnoException).code ?? 'read error'})`,
    });
  }
  return parseTenants(text, path);
}

/** Writes the tenants file atomically and durably with mode 0600 (it holds password hashes). */
export async function writeTenants(path: string, file: TenantsFile): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
}

const LOCK_STALE_MS = 30_000;

/** Runs fn while holding `<path>.lock` (created exclusively; a lock left by a dead process is taken over). */
export async function withTenantsLock<T>(path: string, fn: () => Promise<T>, waitMs = 10_000): Promise<T> {
  const lock = `${path}.lock`;
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const fh = await open(lock, 'wx', 0o600);
      await fh.writeFile(
        JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() }),
      );
      await fh.close();
      await fsyncDir(dirname(lock)).catch(() => undefined);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new ClaasError('NOT_FOUND', 'the folder of the tenants file does not exist', {
          input: path,
          hint: 'create the folder, or set gateway.tenants in claas.yaml to a file in an existing folder',
        });
      }
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (await lockIsStale(lock)) {
        await rm(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new ClaasError('LOCKED', 'another `claas tenant` command is changing the tenants file', {
          input: lock,
          hint: 'wait for it to finish; remove the lock file only if no such command runs',
        });
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { force: true });
  }
}

async function lockIsStale(lock: string): Promise<boolean> {
  try {
    const [info, text] = await Promise.all([stat(lock), readFile(lock, 'utf8')]);
    const holder = JSON.parse(text || '{}') as { pid?: number; host?: string };
    if (holder.host === hostname() && typeof holder.pid === 'number') {
      try {
        process.kill(holder.pid, 0);
        return false;
      } catch (e) {
        return (e as NodeJS.ErrnoException).code === 'ESRCH';
      }
    }
    return Date.now() - info.mtimeMs > LOCK_STALE_MS;
  } catch {
    return false; // being written or just removed: try again
  }
}

function findTenant(file: TenantsFile, name: string, path: string): TenantRecord {
  const t = file.tenants.find((x) => x.name.toLowerCase() === name.toLowerCase());
  if (t === undefined) {
    throw new ClaasError('NOT_FOUND', `there is no tenant "${name}"`, {
      input: path,
      hint: 'list them with `claas tenant list`',
    });
  }
  return t;
}

function checkName(name: string, what: string): void {
  if (!NAME_RE.test(name)) {
    throw badInput(
      `${what} ${JSON.stringify(name)} is not a valid name`,
      name,
      'Use 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit.',
    );
  }
}

function checkLibraries(libraries: string[]): string[] {
  if (libraries.length === 0) throw badInput('a tenant needs at least one --library', '--library');
  for (const l of libraries) checkName(l, 'library');
  return [...new Set(libraries)];
}

export interface NewSecret {
  tenant: TenantRecord;
  /** The generated password: shown once, never stored. */
  password: string;
}

/** Where a gateway's tenants are kept: a local file (fileTenants) or the control prefix (tenants-store.ts). */
export interface TenantsBackend {
  /** Where they are, for messages: a path or a location (never credentials). */
  readonly where: string;
  read(): Promise<TenantsFile>;
  /** Runs fn on the current tenants under the backend's lock and writes what fn leaves (unless it throws). */
  change<T>(fn: (file: TenantsFile) => Promise<T>): Promise<T>;
}

/** The tenants file at a path. */
export function fileTenants(path: string): TenantsBackend {
  return {
    where: path,
    read: () => readTenants(path),
    change: (fn) =>
      withTenantsLock(path, async () => {
        const file = await readTenants(path);
        const result = await fn(file);
        await writeTenants(path, file);
        return result;
      }),
  };
}

function backendOf(target: string | TenantsBackend): TenantsBackend {
  return typeof target === 'string' ? fileTenants(target) : target;
}

function change<T>(target: string | TenantsBackend, fn: (file: TenantsFile) => Promise<T>): Promise<T> {
  return backendOf(target).change(fn);
}

function whereOf(target: string | TenantsBackend): string {
  return typeof target === 'string' ? target : target.where;
}

export async function addTenant(
  path: string | TenantsBackend,
  name: string,
  libraries: string[],
  now = new Date(),
): Promise<NewSecret> {
  checkName(name, 'tenant');
  const libs = checkLibraries(libraries);
  return change(path, async (file) => {
    if (file.tenants.some((t) => t.name.toLowerCase() === name.toLowerCase())) {
      throw new ClaasError('CONFLICT', `tenant "${name}" already exists`, {
        input: name,
        hint: 'choose another name, `claas tenant rotate` for a new password, or `claas tenant update` to change its libraries',
      });
    }
    const keyId = newKeyId(new Set(file.tenants.map((t) => t.keyId)));
    const password = newPassword(keyId);
    const tenant: TenantRecord = {
      name,
      libraries: libs,
      keyId,
      scrypt: await hashPassword(password),
      created: now.toISOString(),
    };
    file.tenants.push(tenant);
    return { tenant, password };
  });
}

/** A new password (and key id) for a tenant; the old password stops working at once. */
export async function rotateTenant(
  path: string | TenantsBackend,
  name: string,
  now = new Date(),
): Promise<NewSecret> {
  return change(path, async (file) => {
    const t = findTenant(file, name, whereOf(path));
    t.keyId = newKeyId(new Set(file.tenants.map((x) => x.keyId)));
    const password = newPassword(t.keyId);
    t.scrypt = await hashPassword(password);
    t.rotated = now.toISOString();
    return { tenant: t, password };
  });
}

export async function removeTenant(path: string | TenantsBackend, name: string): Promise<TenantRecord> {
  return change(path, async (file) => {
    const t = findTenant(file, name, whereOf(path));
    file.tenants = file.tenants.filter((x) => x !== t);
    return t;
  });
}

/** Replaces the libraries a tenant may read (the password stays). */
export async function updateTenant(
  path: string | TenantsBackend,
  name: string,
  libraries: string[],
): Promise<TenantRecord> {
  const libs = checkLibraries(libraries);
  return change(path, async (file) => {
    const t = findTenant(file, name, whereOf(path));
    t.libraries = libs;
    return t;
  });
}
