// TLS helpers for the VCSP endpoint: the SHA-1 thumbprint vCenter pins (ssl_thumbprint), and a
// self-signed certificate made with the system's openssl for `claas serve --tls` without a certificate.

import { X509Certificate } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ClaasError, badInput } from '../errors.js';

const run = promisify(execFile);

/**
 * SHA-1 fingerprint of a certificate's DER bytes as colon-separated uppercase hex
 * (AA:BB:...: 20 bytes), the form vCenter's subscription `ssl_thumbprint` takes.
 */
export function certificateThumbprint(certPem: string | Buffer): string {
  try {
    return new X509Certificate(certPem).fingerprint;
  } catch {
    throw badInput(
      'Not a PEM certificate',
      '(TLS certificate)',
      'Give a PEM file that starts with "-----BEGIN CERTIFICATE-----".',
    );
  }
}

/** Normalises a thumbprint written with or without colons, in any case, to AA:BB:... form. */
export function normalizeThumbprint(text: string): string {
  const hex = text.replace(/[:\s-]/g, '').toUpperCase();
  if (!/^[0-9A-F]{40}$/.test(hex)) {
    throw badInput(
      'A thumbprint is the SHA-1 of the certificate: 40 hex digits, optionally colon-separated',
      text,
      'Copy it from `claas serve` output or `openssl x509 -noout -fingerprint -sha1 -in cert.pem`.',
    );
  }
  return hex.match(/../g)!.join(':');
}

/**
 * A new self-signed RSA-2048 certificate and key for host (a DNS name or IP address), valid 825 days,
 * made by the system's `openssl` (no extra dependency). The key is never written outside a private
 * temp folder that is removed before returning.
 */
export async function generateSelfSigned(host: string): Promise<{ cert: Buffer; key: Buffer }> {
  if (!/^[A-Za-z0-9.:-]+$/.test(host) || host.length > 253) {
    throw badInput(
      'Not a host name or IP address',
      host,
      'Give a DNS name or IP address for the certificate.',
    );
  }
  const san = isIP(host) === 0 ? `DNS:${host}` : `IP:${host}`;
  const dir = await mkdtemp(join(tmpdir(), 'claas-tls-'));
  try {
    const keyPath = join(dir, 'key.pem');
    const certPath = join(dir, 'cert.pem');
    // The CN must not contain "/" (openssl -subj syntax); host is checked above.
    const args = ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '825'];
    args.push(
      '-keyout',
      keyPath,
      '-out',
      certPath,
      '-subj',
      `/CN=${host}`,
      '-addext',
      `subjectAltName=${san}`,
    );
    try {
      await run('openssl', args, { timeout: 60_000 });
    } catch (e) {
      const missing = (e as { code?: unknown }).code === 'ENOENT';
      throw new ClaasError(
        missing ? 'NOT_FOUND' : 'INTERNAL',
        missing ? 'openssl is not installed' : 'openssl could not create a self-signed certificate',
        {
          input: 'openssl',
          hint: 'Install openssl, or give a certificate and key (PEM files) of your own.',
        },
      );
    }
    return { cert: await readFile(certPath), key: await readFile(keyPath) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
