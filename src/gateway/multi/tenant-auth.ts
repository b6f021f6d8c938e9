// Who is asking: the tenant a request's Basic credentials (user "vcsp", a generated password) belong to.
// One candidate per request, found by the password's key id (see tenants.ts); one scrypt check against
// it, or against a dummy hash of the same cost when no tenant has that key id. Passwords verified once are
// remembered as an HMAC under a per-process random key (compared in constant time), so that requests
// after the first cost no scrypt; the memory is dropped for a tenant whose password changed or who was
// removed. scrypt runs at most `concurrency` at once with a bounded queue: a flood cannot take the CPU.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { VCSP_USER } from '../../vcsp/basic-auth.js';
import { deriveKey, passwordKeyId, SCRYPT_PARAMS } from './tenants.js';
import type { ScryptHash, TenantRecord } from './tenants.js';

export type Credentials =
  | { kind: 'none' }
  /** Not Basic, not user "vcsp", or not a password claas generated. */
  | { kind: 'malformed' }
  | { kind: 'password'; keyId: string; password: string };

export type AuthResult = { ok: true; tenant: TenantRecord } | { ok: false; reason: 'bad-password' | 'busy' };

/** Parses an Authorization header. Never throws; the password is only returned, never kept. */
export function parseCredentials(header: string | undefined): Credentials {
  if (header === undefined || header === '') return { kind: 'none' };
  const m = /^Basic\s+([A-Za-z0-9+/=]{1,1024})\s*$/i.exec(header);
  if (m === null) return { kind: 'malformed' };
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0 || text.slice(0, colon) !== VCSP_USER) return { kind: 'malformed' };
  const password = text.slice(colon + 1);
  const keyId = passwordKeyId(password);
  return keyId === undefined ? { kind: 'malformed' } : { kind: 'password', keyId, password };
}

export interface TenantAuthOptions {
  /** scrypt checks running at once (default 2). */
  concurrency?: number;
  /** scrypt checks waiting at most; more get 'busy' (default 64). */
  maxQueue?: number;
}

export class TenantAuthenticator {
  private readonly macKey = randomBytes(32);
  private byKeyId = new Map<string, TenantRecord>();
  /** keyId -> HMAC of the password verified for it, with the hash it was verified against. */
  private readonly verified = new Map<string, { mac: Buffer; hash: string }>();
  private dummy: ScryptHash | undefined;
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly concurrency: number;
  private readonly maxQueue: number;

  constructor(tenants: TenantRecord[] = [], o: TenantAuthOptions = {}) {
    this.concurrency = Math.max(1, o.concurrency ?? 2);
    this.maxQueue = Math.max(0, o.maxQueue ?? 64);
    this.setTenants(tenants);
  }

  /** Replaces the tenants (reload); remembered passwords of changed or removed tenants are forgotten. */
  setTenants(tenants: TenantRecord[]): void {
    this.byKeyId = new Map(tenants.map((t) => [t.keyId, t]));
    for (const [keyId, v] of this.verified) {
      if (this.byKeyId.get(keyId)?.scrypt.hash !== v.hash) this.verified.delete(keyId);
    }
  }

  get tenantCount(): number {
    return this.byKeyId.size;
  }

  /** The tenants, by name (records hold password hashes: never send them anywhere). */
  tenants(): TenantRecord[] {
    return [...this.byKeyId.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  private mac(password: string): Buffer {
    return createHmac('sha256', this.macKey).update(password, 'utf8').digest();
  }

  /** The tenant, when these credentials were verified before (no scrypt); undefined otherwise. */
  remembered(c: { keyId: string; password: string }): TenantRecord | undefined {
    const v = this.verified.get(c.keyId);
    const tenant = this.byKeyId.get(c.keyId);
    if (v === undefined || tenant === undefined) return undefined;
    return timingSafeEqual(this.mac(c.password), v.mac) && v.hash === tenant.scrypt.hash ? tenant : undefined;
  }

  /** The scrypt check of one candidate (a dummy one when no tenant has the key id). */
  async verify(c: { keyId: string; password: string }): Promise<AuthResult> {
    const known = this.remembered(c);
    if (known !== undefined) return { ok: true, tenant: known };
    if (this.active >= this.concurrency && this.waiting.length >= this.maxQueue) {
      return { ok: false, reason: 'busy' };
    }
    const tenant = this.byKeyId.get(c.keyId);
    const against = tenant?.scrypt ?? this.dummyHash();
    await this.acquire();
    let same: boolean;
    try {
      const expected = Buffer.from(against.hash, 'base64');
      const derived = await deriveKey(c.password, against);
      same = derived.length === expected.length && timingSafeEqual(derived, expected);
    } finally {
      this.release();
    }
    // The tenant may have been removed or rotated while scrypt ran: check against the current record.
    const now = this.byKeyId.get(c.keyId);
    if (!same || tenant === undefined || now === undefined || now.scrypt.hash !== against.hash) {
      return { ok: false, reason: 'bad-password' };
    }
    this.verified.set(c.keyId, { mac: this.mac(c.password), hash: against.hash });
    return { ok: true, tenant: now };
  }

  /**
   * What an unknown key id is checked against: the same scrypt work (cost, salt and key length of a real
   * hash) against random bytes no password derives to. Nothing is computed in advance.
   */
  private dummyHash(): ScryptHash {
    this.dummy ??= {
      ...SCRYPT_PARAMS,
      salt: randomBytes(16).toString('base64'),
      hash: randomBytes(32).toString('base64'),
    };
    return this.dummy;
  }

  private async acquire(): Promise<void> {
    if (this.active < this.concurrency) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
  }

  private release(): void {
    this.active--;
    this.waiting.shift()?.();
  }
}
