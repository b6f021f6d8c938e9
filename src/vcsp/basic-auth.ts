// HTTP Basic authentication as vCenter does it for VCSP: user "vcsp" and a per-subscription password,
// compared in constant time (SHA-256 digests of equal length, then timingSafeEqual).

import { createHash, timingSafeEqual } from 'node:crypto';

/** The user name vCenter always sends for a VCSP subscription. */
export const VCSP_USER = 'vcsp';

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** A checker for Authorization headers; it keeps only the digest of the expected credentials. */
export function basicAuthChecker(password: string): (authorization: string | undefined) => boolean {
  const expected = digest(`${VCSP_USER}:${password}`);
  return (authorization) => {
    const m = /^Basic\s+([A-Za-z0-9+/=._~-]+)\s*$/i.exec(authorization ?? '');
    // Always run one comparison, so a missing header takes as long as a wrong one.
    const given = m === null ? '' : Buffer.from(m[1]!, 'base64').toString('utf8');
    const same = timingSafeEqual(digest(given), expected);
    return m !== null && same;
  };
}

/** The header that asks a client for Basic credentials. */
export const WWW_AUTHENTICATE = 'Basic realm="claas"';
