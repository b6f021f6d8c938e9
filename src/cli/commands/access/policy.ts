// `claas access policy --role publisher|subscriber|replication`: the IAM policies and bucket policies each
// role needs, scoped to the library prefix (src/access). The gateway reads with a subscriber credential.

import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { ClaasError, badInput } from '../../../errors.js';
import { loadConfig } from '../../../config/load.js';
import { ACCESS_ROLES, accessPolicies, libraryPrivateArea } from '../../../replicate/access-for-config.js';
import type { AccessPolicy, AccessRole } from '../../../replicate/access-for-config.js';
import {
  asBucketPolicy,
  publisherPolicy,
  rgwUserArn,
  subscriberBucketPolicy,
  subscriberPolicy,
} from '../../../access/policies.js';
import { parseLocation } from '../../../store/location.js';
import { DEFAULT_CONTROL_PREFIX } from '../../../store/private-keys.js';
import type { S3Location } from '../../../store/types.js';
import { defaulted } from '../../flags.js';
import type { CliIo } from '../../io.js';
import type { Verb } from '../../verb.js';

export interface AccessPolicyOptions {
  role: AccessRole;
  /** Policies for a bare location (publisher and subscriber), or for a claas.yaml. */
  source: { kind: 'location'; text: string; location: S3Location } | { kind: 'config'; file?: string };
  principal?: string;
}

interface AccessFlags {
  role: string;
  config?: string;
  location?: string;
  region?: string;
  principal?: string;
  rgwUser?: string;
}

const KIND_TITLE: Record<AccessPolicy['kind'], string> = {
  identity: 'IAM policy (attach to the user or role)',
  bucket: 'bucket policy (applied by the bucket owner)',
  trust: 'trust policy of the role',
};

export function define(cmd: Command): void {
  cmd
    .requiredOption('--role <role>', `${ACCESS_ROLES.join('|')}`)
    .addOption(defaulted('--config <file>', 'claas.yaml', './claas.yaml'))
    .option(
      '--location <location>',
      'instead of --config: the library location, s3://bucket/prefix (publisher and subscriber roles)',
    )
    .option('--region <region>', 'region of --location (sets the ARN partition)')
    .option('--principal <arn>', 'also print bucket policies granting this IAM user or role ARN')
    .option('--rgw-user <uid>', 'also print bucket policies granting this Ceph RGW user');
}

function principalOf(flags: AccessFlags): string | undefined {
  if (flags.principal !== undefined && flags.rgwUser !== undefined) {
    throw badInput('give --principal or --rgw-user, not both', '--rgw-user');
  }
  if (flags.rgwUser !== undefined) return rgwUserArn(flags.rgwUser);
  return flags.principal;
}

function sourceOf(flags: AccessFlags, role: AccessRole): AccessPolicyOptions['source'] {
  if (flags.location === undefined)
    return { kind: 'config', ...(flags.config === undefined ? {} : { file: flags.config }) };
  if (flags.config !== undefined) throw badInput('give --config or --location, not both', '--location');
  const loc = parseLocation(flags.location, flags.region === undefined ? {} : { region: flags.region });
  if (loc.kind !== 's3') throw badInput('--location must be an s3:// location', flags.location);
  if (role === 'replication') {
    throw badInput('the replication role needs the replicas: give --config claas.yaml', '--role replication');
  }
  return { kind: 'location', text: flags.location, location: loc };
}

export function parse(_args: [], flags: AccessFlags): AccessPolicyOptions {
  if (!(ACCESS_ROLES as readonly string[]).includes(flags.role)) {
    throw badInput(`--role takes ${ACCESS_ROLES.join(', ')}; got "${flags.role}"`, '--role');
  }
  const role = flags.role as AccessRole;
  const principal = principalOf(flags);
  return { role, source: sourceOf(flags, role), ...(principal === undefined ? {} : { principal }) };
}

/** Policies for a bare location (no claas.yaml): publisher or subscriber only. */
function forLocation(
  role: AccessRole,
  text: string,
  loc: S3Location,
  principal: string | undefined,
): AccessPolicy[] {
  // A bare location's private area is under the default control prefix (issue 16).
  const area = libraryPrivateArea(loc, DEFAULT_CONTROL_PREFIX);
  const identity = role === 'publisher' ? publisherPolicy(loc, {}, area) : subscriberPolicy(loc);
  const bucket =
    role === 'publisher'
      ? (l: S3Location, p: string) => asBucketPolicy(publisherPolicy(l, {}, area), p)
      : subscriberBucketPolicy;
  const what = role === 'publisher' ? 'list, read, write and delete' : 'list and read (nothing that writes)';
  const out: AccessPolicy[] = [
    { store: text, kind: 'identity', description: `${role}: ${what} under ${text}`, document: identity },
  ];
  if (principal !== undefined) {
    out.push({
      store: text,
      kind: 'bucket',
      description: `${role}: the same access as the policy of bucket ${loc.bucket} granting ${principal}`,
      document: bucket(loc, principal),
    });
  }
  return out;
}

async function forConfig(
  o: AccessPolicyOptions & { source: { kind: 'config' } },
): Promise<{ library: string; policies: AccessPolicy[] }> {
  const path = o.source.file ?? 'claas.yaml';
  if (o.source.file === undefined && !existsSync(path)) {
    throw new ClaasError('BAD_INPUT', 'no claas.yaml here', {
      input: path,
      hint: 'give --config claas.yaml, or --location s3://bucket/prefix',
    });
  }
  const config = await loadConfig(path);
  const policies = accessPolicies(
    config,
    o.role,
    o.principal === undefined ? {} : { principalArn: o.principal },
  );
  return { library: config.library, policies };
}

export async function run(o: AccessPolicyOptions, io: CliIo): Promise<number> {
  const { library, policies } =
    o.source.kind === 'location'
      ? { library: undefined, policies: forLocation(o.role, o.source.text, o.source.location, o.principal) }
      : await forConfig({ ...o, source: o.source });
  if (io.json) {
    io.printJson({ ok: true, role: o.role, ...(library === undefined ? {} : { library }), policies });
    return 0;
  }
  if (io.quiet) return 0;
  if (policies.length === 0) {
    io.out(`# the ${o.role} role needs no policy for this configuration\n`);
    return 0;
  }
  const text = policies.map(
    (p) =>
      `# ${p.store}: ${KIND_TITLE[p.kind]}\n# ${p.description}\n${JSON.stringify(p.document, null, 2)}\n`,
  );
  io.out(text.join('\n'));
  return 0;
}

export const verb: Verb<AccessPolicyOptions, AccessFlags, []> = {
  name: 'policy',
  description: 'print the IAM policies / bucket policies a role needs, scoped to the library prefix',
  define,
  parse,
  run,
};
