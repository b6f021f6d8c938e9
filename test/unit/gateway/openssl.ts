// Test helper: whether the system's openssl is available (TLS tests skip without it).

import { execFileSync } from 'node:child_process';

export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
