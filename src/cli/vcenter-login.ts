// The vCenter login options every vCenter command shares: --server, --user, --password-file,
// --vcenter-thumbprint, --vcenter-ca-file, with CLAAS_VCENTER_USER / CLAAS_VCENTER_PASSWORD from the
// environment. A password is only ever read from a file or the environment, never from a flag (it would show
// in process lists). The vCenter's certificate flags are named for it: --thumbprint and --ca-file pin and
// trust a publisher's certificate elsewhere (verify, import vcsp); here they are old spellings.

import type { Command } from 'commander';
import { ClaasError } from '../errors.js';
import { connectVcenter } from '../vcenter/index.js';
import type { InventoryKind, VcenterApi, VcenterConnectOptions } from '../vcenter/index.js';
import { defaulted, oldSpelling, renamed } from './flags.js';
import { readPasswordFile } from './options.js';
import type { Deprecated } from './verb.js';

/** How to log in to a vCenter (the password itself is read at run time). */
export interface VcenterLogin {
  server?: string;
  user?: string;
  passwordFile?: string;
  thumbprint?: string;
  caFile?: string;
}

export interface VcenterLoginFlags {
  server?: string;
  user?: string;
  passwordFile?: string;
  vcenterThumbprint?: string;
  vcenterCaFile?: string;
  /** Old spellings of --vcenter-thumbprint and --vcenter-ca-file. */
  thumbprint?: string;
  caFile?: string;
}

export const USER_ENV = 'CLAAS_VCENTER_USER';
export const PASSWORD_ENV = 'CLAAS_VCENTER_PASSWORD';

export function addVcenterLoginOptions(cmd: Command, o: { serverRequired?: boolean } = {}): Command {
  const server = '--server <vcenter>';
  const serverHelp = 'vCenter host name, host:port or https:// URL';
  (o.serverRequired === false ? cmd.option(server, serverHelp) : cmd.requiredOption(server, serverHelp))
    .addOption(defaulted('--user <name>', 'vCenter user', `$${USER_ENV}`))
    .addOption(defaulted('--password-file <file>', 'file holding the vCenter password', `$${PASSWORD_ENV}`))
    .option(
      '--vcenter-thumbprint <sha1>',
      "pin the vCenter's certificate by its SHA-1 thumbprint (AA:BB:...)",
    )
    .option(
      '--vcenter-ca-file <pem>',
      "trust this CA file for the vCenter's certificate instead of the system's",
    )
    .addOption(oldSpelling('--thumbprint <sha1>'))
    .addOption(oldSpelling('--ca-file <pem>'));
  return cmd;
}

/** The login from the flags; the old --thumbprint / --ca-file are reported as deprecated for `command`. */
export function vcenterLoginOf(
  command: string,
  flags: VcenterLoginFlags,
  deprecated: Deprecated,
): VcenterLogin {
  const thumbprint = renamed(
    command,
    { flag: '--vcenter-thumbprint', value: flags.vcenterThumbprint },
    { flag: '--thumbprint', value: flags.thumbprint },
    deprecated,
  );
  const caFile = renamed(
    command,
    { flag: '--vcenter-ca-file', value: flags.vcenterCaFile },
    { flag: '--ca-file', value: flags.caFile },
    deprecated,
  );
  return {
    ...(flags.server === undefined ? {} : { server: flags.server }),
    ...(flags.user === undefined ? {} : { user: flags.user }),
    ...(flags.passwordFile === undefined ? {} : { passwordFile: flags.passwordFile }),
    ...(thumbprint === undefined ? {} : { thumbprint }),
    ...(caFile === undefined ? {} : { caFile }),
  };
}

/** Connect options from the login and the environment; nothing is sent yet. */
export async function vcenterLoginFrom(
  flags: VcenterLogin,
  env: NodeJS.ProcessEnv = process.env,
): Promise<VcenterConnectOptions> {
  if (flags.server === undefined || flags.server.trim() === '') {
    throw new ClaasError('BAD_INPUT', 'No vCenter given', {
      input: '--server',
      hint: 'Give the vCenter with --server vc.example.com.',
    });
  }
  const user = flags.user ?? env[USER_ENV];
  if (user === undefined || user.trim() === '') {
    throw new ClaasError('BAD_INPUT', `No vCenter user given for ${flags.server}`, {
      input: '--user',
      hint: `Give it with --user <name> or ${USER_ENV} (e.g. administrator@vsphere.local).`,
    });
  }
  let password: string | undefined;
  if (flags.passwordFile !== undefined) password = await readPasswordFile(flags.passwordFile);
  else password = env[PASSWORD_ENV];
  if (password === undefined || password === '') {
    throw new ClaasError('BAD_INPUT', `No vCenter password given for ${user}@${flags.server}`, {
      input: '--password-file',
      hint: `Put it in a file (chmod 600) and give --password-file <file>, or set ${PASSWORD_ENV}; claas never takes a password on the command line.`,
    });
  }
  return {
    server: flags.server,
    user,
    password,
    ...(flags.thumbprint === undefined ? {} : { thumbprint: flags.thumbprint }),
    ...(flags.caFile === undefined ? {} : { caFile: flags.caFile }),
  };
}

/** Logs in, runs fn, and logs out again whatever happened. */
export async function withVcenter<T>(
  login: VcenterConnectOptions,
  fn: (api: VcenterApi) => Promise<T>,
): Promise<T> {
  const api = await connectVcenter(login);
  try {
    return await fn(api);
  } finally {
    await api.logout().catch(() => undefined);
  }
}

/**
 * The one inventory object of a kind when the vCenter has exactly one (a small lab, vcsim); otherwise an
 * error asking for the flag, listing some candidates when the vCenter can list them.
 */
export async function onlyInventory(
  api: VcenterApi,
  kind: InventoryKind,
  o: { flag: string; question: string; example: string },
): Promise<string> {
  let all;
  try {
    all = await api.listInventory(kind, {});
  } catch {
    all = undefined;
  }
  if (all !== undefined && all.length === 1) return all[0]!.id;
  throw new ClaasError('BAD_INPUT', `${o.question} (vCenter ${api.server})`, {
    input: o.flag,
    hint:
      all === undefined || all.length === 0
        ? `Give ${o.flag} <name or id> (like ${o.example}).`
        : `Give ${o.flag} with one of: ${all
            .slice(0, 10)
            .map((r) => `${r.name} (${r.id})`)
            .join(', ')}.`,
  });
}
