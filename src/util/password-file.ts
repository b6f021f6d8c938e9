// The one place claas reads a password from a file (serve, import, verify, subscribe, vCenter logins, the
// gateway's admin password): the first line, never echoed, and — as ssh does for private keys — a warning
// when the file lets other users read or change it.

import { open } from 'node:fs/promises';
import { ClaasError, badInput } from '../errors.js';

export interface PasswordFile {
  password: string;
  /** Why the file is not private (group or others may access it), with the fix; undefined when it is. */
  warning?: string;
}

/** Quotes a path for a shell command line when it needs it. */
function shellWord(path: string): string {
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replaceAll("'", `'\\''`)}'`;
}

/** The warning for a password file whose mode lets group or others in, as ssh words it for keys. */
export function permissionWarning(path: string, mode: number): string | undefined {
  if (process.platform === 'win32' || (mode & 0o077) === 0) return undefined;
  const who = [(mode & 0o070) !== 0 ? 'group' : '', (mode & 0o007) !== 0 ? 'others' : '']
    .filter(Boolean)
    .join(' and ');
  const octal = (mode & 0o777).toString(8).padStart(4, '0');
  return (
    `password file ${path} is accessible by ${who} (permissions ${octal} are too open); ` +
    `make it private: chmod 600 ${shellWord(path)}`
  );
}

/**
 * Reads the first line of a password file (trailing newline removed). `what` names it in errors
 * ("the password file given to --password-file", "gateway.admin.passwordFile").
 */
export async function readPasswordFile(path: string, what: string): Promise<PasswordFile> {
  let text: string;
  let mode: number;
  try {
    const fh = await open(path, 'r');
    try {
      mode = (await fh.stat()).mode;
      text = await fh.readFile('utf8');
    } finally {
      await fh.close();
    }
  } catch (e) {
    throw new ClaasError('BAD_INPUT', `cannot read ${what}`, {
      input: path,
      hint: `create it with the password on the first line (chmod 600); ${(e as NodeJS.ErrnoException).code ?? ''}`.trim(),
    });
  }
  const password = text.split(/\r?\n/)[0] ?? '';
  if (password.length === 0) throw badInput(`${what} is empty`, path, 'put the password on its first line');
  const warning = permissionWarning(path, mode);
  return { password, ...(warning === undefined ? {} : { warning }) };
}
