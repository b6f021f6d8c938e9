// The vCenter login options every vCenter command shares: --server, --user, --password-file, --thumbprint,
// --ca-file, with CLAAS_VCENTER_USER / CLAAS_VCENTER_PASSWORD from the environment. A password is only ever
// read from a file or the environment, never from a flag (it would show in process lists).

import type { Command } from 'commander';
import { ClaasError } from '../errors.js';
import { connectVcenter } from '../vcenter/index.js';
import type { InventoryKind, VcenterApi, VcenterConnectOptions } from '../vcenter/index.js';
import { readPasswordFile } from './options.js';

export interface VcenterLoginFlags {
  server?: string;
  user?: string;
  passwordFile?: string;
  thumbprint?: string;
  caFile?: string;
}

export const USER_ENV = 'CLAAS_VCENTER_USER';
export const PASSWORD_ENV = 'CLAAS_VCENTER_PASSWORD';

export function addVcenterLoginOptions(cmd: Command, o: { serverRequired?: boolean } = {}): Command {
  const server = '--server <vcenter>';
  const serverHelp = 'vCenter host name, host:port or https:// URL';
  (o.serverRequired === false ? cmd.option(server, serverHelp) : cmd.requiredOption(server, serverHelp))
    .option('--user <name>', `vCenter user (default: $${USER_ENV})`)
    .option('--password-file <file>', `file holding the vCenter password (default: $${PASSWORD_ENV})`)
    .option('--thumbprint <sha1>', 'pin the vCenter certificate by its SHA-1 thumbprint (AA:BB:...)')
    .option('--ca-file <pem>', "trust this CA file for the vCenter's certificate instead of the system's");
  return cmd;
}

/** Connect options from the flags and the environment; nothing is sent yet. */
export async function vcenterLoginFrom(
  flags: VcenterLoginFlags,
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
