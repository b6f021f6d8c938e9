// `claas access policy --role publisher|subscriber|replication`: the IAM policies and bucket policies each
// role needs, scoped to the library prefix (src/access). The gateway reads with a subscriber credential.

import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { ClaasError, badInput } from '../../errors.js';
import { loadConfig } from '../../config/load.js';
import { ACCESS_ROLES, accessPolicies } from '../../replicate/access-for-config.js';
import type { AccessPolicy, AccessRole } from '../../replicate/access-for-config.js';
import {
  publisherPolicy,
  rgwUserArn,
  subscriberBucketPolicy,
  subscriberPolicy,
  mirrorWriterBucketPolicy,
} from '../../access/policies.js';
import { parseLocation } from '../../store/location.js';
import { printJson } from '../output.js';
import { runCommand } from '../run.js';

interface AccessFlags {
  role: string;
  config?: string;
  location?: string;
  region?: string;
  principal?: string;
  rgwUser?: string;
  json?: boolean;
  quiet?: boolean;
}

const KIND_TITLE: Record<AccessPolicy['kind'], string> = {
  identity: 'IAM policy (attach to the user or role)',
  bucket: 'bucket policy (applied by the bucket owner)',
  trust: 'trust policy of the role',
};

function principalOf(flags: AccessFlags): string | undefined {
  if (flags.principal !== undefined && flags.rgwUser !== undefined) {
    throw badInput('give --principal or --rgw-user, not both', '--rgw-user');
  }
  if (flags.rgwUser !== undefined) return rgwUserArn(flags.rgwUser);
  return flags.principal;
}

/** Policies for a bare location (no claas.yaml): publisher or subscriber only. */
function forLocation(flags: AccessFlags, role: AccessRole, principal: string | undefined): AccessPolicy[] {
  const loc = parseLocation(flags.location!, flags.region === undefined ? {} : { region: flags.region });
  if (loc.kind !== 's3') throw badInput('--location must be an s3:// location', flags.location!);
  if (role === 'replication') {
    throw badInput('the replication role needs the replicas: give --config claas.yaml', '--role replication');
  }
  const identity = role === 'publisher' ? publisherPolicy(loc) : subscriberPolicy(loc);
  const bucket = role === 'publisher' ? mirrorWriterBucketPolicy : subscriberBucketPolicy;
  const what = role === 'publisher' ? 'list, read, write and delete' : 'list and read (nothing that writes)';
  const out: AccessPolicy[] = [
    {
      store: flags.location!,
      kind: 'identity',
      description: `${role}: ${what} under ${flags.location}`,
      document: identity,
    },
  ];
  if (principal !== undefined) {
    out.push({
      store: flags.location!,
      kind: 'bucket',
      description: `${role}: the same access as the policy of bucket ${loc.bucket} granting ${principal}`,
      document: bucket(loc, principal),
    });
  }
  return out;
}

export function registerAccess(program: Command): void {
  const access = program.command('access').description('credentials and policies for claas roles');
  access
    .command('policy')
    .description('print the IAM policies / bucket policies a role needs, scoped to the library prefix')
    .requiredOption('--role <role>', `${ACCESS_ROLES.join('|')}`)
    .option('--config <file>', 'claas.yaml (default: ./claas.yaml)')
    .option(
      '--location <s3url>',
      'instead of --config: the library location (publisher and subscriber roles)',
    )
    .option('--region <region>', 'region of --location (sets the ARN partition)')
    .option('--principal <arn>', 'also print bucket policies granting this IAM user or role ARN')
    .option('--rgw-user <uid>', 'also print bucket policies granting this Ceph RGW user')
    .option('--json', 'print the documents as JSON')
    .option('-q, --quiet', 'print nothing but errors')
    .action(async (flags: AccessFlags) => {
      await runCommand(flags, async (mode) => {
        if (!(ACCESS_ROLES as readonly string[]).includes(flags.role)) {
          throw badInput(`--role takes ${ACCESS_ROLES.join(', ')}; got "${flags.role}"`, '--role');
        }
        const role = flags.role as AccessRole;
        const principal = principalOf(flags);
        if (flags.location !== undefined && flags.config !== undefined) {
          throw badInput('give --config or --location, not both', '--location');
        }
        let policies: AccessPolicy[];
        let library: string | undefined;
        if (flags.location !== undefined) {
          policies = forLocation(flags, role, principal);
        } else {
          const path = flags.config ?? 'claas.yaml';
          if (flags.config === undefined && !existsSync(path)) {
            throw new ClaasError('BAD_INPUT', 'no claas.yaml here', {
              input: path,
              hint: 'give --config claas.yaml, or --location s3://bucket/prefix',
            });
          }
          const config = await loadConfig(path);
          library = config.library;
          policies = accessPolicies(config, role, principal === undefined ? {} : { principalArn: principal });
        }
        if (mode.json) {
          printJson({ ok: true, role, ...(library === undefined ? {} : { library }), policies });
          return 0;
        }
        if (mode.quiet) return 0;
        if (policies.length === 0) {
          process.stdout.write(`# the ${role} role needs no policy for this configuration\n`);
          return 0;
        }
        const text = policies.map(
          (p) =>
            `# ${p.store}: ${KIND_TITLE[p.kind]}\n# ${p.description}\n${JSON.stringify(p.document, null, 2)}\n`,
        );
        process.stdout.write(text.join('\n'));
        return 0;
      });
    });
}
