// The CA certificates an HTTPS client trusts, as a TLS secure context: the system's trust store (Node's
// bundled roots, the OS bundle and NODE_EXTRA_CA_CERTS) or the CAs of one PEM file given by the user.

import { readFile } from 'node:fs/promises';
import { createSecureContext, rootCertificates } from 'node:tls';
import type { SecureContext } from 'node:tls';
import { ClaasError } from '../errors.js';

const SYSTEM_CA_FILES = [
  '/etc/ssl/certs/ca-certificates.crt', // Debian, Ubuntu, Alpine
  '/etc/pki/tls/certs/ca-bundle.crt', // RHEL, Fedora
  '/etc/ssl/cert.pem', // macOS, BSDs
];

let systemContext: Promise<SecureContext> | undefined;

/**
 * The system's trust store: Node's bundled roots, the OS bundle (where local and corporate CAs are
 * installed) and NODE_EXTRA_CA_CERTS. Built once per process.
 */
export function systemSecureContext(): Promise<SecureContext> {
  systemContext ??= (async () => {
    const ca: string[] = [...rootCertificates];
    const extra = process.env.NODE_EXTRA_CA_CERTS;
    for (const file of [...(extra ? [extra] : []), ...SYSTEM_CA_FILES]) {
      try {
        ca.push(await readFile(file, 'utf8'));
        if (file !== extra) break; // one OS bundle is enough
      } catch {
        // Not on this system.
      }
    }
    return createSecureContext({ ca });
  })();
  return systemContext;
}

/** The CA certificates of a PEM file (given with --ca-file), and only those. */
export async function caFileContext(caFile: string): Promise<SecureContext> {
  let pem: Buffer;
  try {
    pem = await readFile(caFile);
  } catch (e) {
    throw new ClaasError('NOT_FOUND', `Cannot read the CA file ${caFile}`, {
      input: caFile,
      hint: 'Give a readable PEM file of CA certificates with --ca-file.',
      cause: e,
    });
  }
  try {
    return createSecureContext({ ca: pem });
  } catch (e) {
    throw new ClaasError('BAD_INPUT', `${caFile} holds no usable PEM certificate`, {
      input: caFile,
      hint: 'Give a PEM file that starts with "-----BEGIN CERTIFICATE-----".',
      cause: e,
    });
  }
}
