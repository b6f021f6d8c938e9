// claas.yaml holds references to credentials (a profile name, a password file), never the credentials.
// This scan finds entries that look like secrets (by key name, or by an AWS key's shape) so that loading
// refuses them with a pointer to profiles and password files. It never repeats the value.

import { isScalar } from 'yaml';
import type { PendingIssue, YamlSource } from './yaml-source.js';

export const SECRET_HINT =
  'claas.yaml holds only references to credentials: credentials: { profile: NAME } names a profile of the ' +
  'AWS shared config/credentials files (~/.aws/credentials), credentials: { env: true } (or no credentials) ' +
  'uses the default chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, instance roles); the ' +
  'gateway admin password goes in a file named by admin: { passwordFile: PATH }. Remove the value from the ' +
  'file (and rotate it if the file was shared).';

// Key names normalised to lowercase letters and digits.
const SECRET_WORDS = [
  'secret',
  'password',
  'passwd',
  'passphrase',
  'token',
  'accesskey',
  'privatekey',
  'apikey',
];
const SECRET_NAMES = new Set(['pass', 'pwd', 'key', 'credential']);

/** True when a mapping key names a secret (secret, aws_secret_access_key, password, sessionToken, ...). */
export function isSecretKeyName(key: string): boolean {
  const k = key.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (k.endsWith('file') || k.endsWith('path')) return false; // passwordFile: a reference, allowed
  return SECRET_NAMES.has(k) || SECRET_WORDS.some((w) => k.includes(w));
}

const ACCESS_KEY_ID_RE = /\b(?:AKIA|ASIA|AROA|AIDA)[A-Z0-9]{16}\b/;
const SECRET_KEY_RE = /(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/;

/** What kind of secret a string value looks like, or undefined. */
export function secretValueKind(value: string): string | undefined {
  if (ACCESS_KEY_ID_RE.test(value)) return 'an AWS access key id';
  const m = SECRET_KEY_RE.exec(value);
  // 40 characters of base64 with upper case, lower case and a digit or '/' or '+': an AWS secret access key.
  if (m !== null && /[A-Z]/.test(m[0]) && /[a-z]/.test(m[0]) && /[0-9/+]/.test(m[0])) {
    return 'an AWS secret access key';
  }
  return undefined;
}

/** Entries of the file that hold secrets, as problems (positioned at the key, the value never shown). */
export function findSecrets(source: YamlSource): PendingIssue[] {
  const found: PendingIssue[] = [];
  for (const { path, key, value } of source.entries()) {
    const empty = value === null || (isScalar(value) && (value.value === null || value.value === ''));
    if (isSecretKeyName(key) && !empty) {
      found.push({
        path,
        at: 'key',
        message: 'credentials do not belong in the configuration (value not shown)',
      });
      continue;
    }
    if (isScalar(value) && typeof value.value === 'string') {
      const kind = secretValueKind(value.value);
      if (kind !== undefined) {
        found.push({ path, at: 'value', message: `this value looks like ${kind} (not shown)` });
      }
    }
  }
  return found;
}
