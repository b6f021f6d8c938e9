// The native replication plan as AWS CLI commands a user can paste into a POSIX shell as they are:
// versioning, the destination bucket policies (run as the destination account), the role and its policy,
// and the replication configuration. JSON arguments are single-quoted (a ' inside becomes '\'').

import { SOURCE_ACCOUNT_PLACEHOLDER } from './plan-types.js';
import type { BucketTarget, ReplicationPlan } from './plan-types.js';

/** The shell variable that holds the source account id when the configuration does not name it. */
export const SOURCE_ACCOUNT_VAR = 'SOURCE_ACCOUNT_ID';

export interface CliCommand {
  /** One line saying what the command does and who runs it. */
  comment: string;
  /** The words of the command (JSON arguments as single words). */
  argv: string[];
  /** Who runs it: the origin's account or a destination bucket's owner. */
  runAs: 'source' | 'destination';
  /** The command's output is assigned to this shell variable. */
  assign?: string;
}

function json(doc: unknown): string {
  return JSON.stringify(doc, null, 2);
}

function s3Flags(t: BucketTarget): string[] {
  return [
    ...(t.region === undefined ? [] : ['--region', t.region]),
    ...(t.endpoint === undefined ? [] : ['--endpoint-url', t.endpoint]),
    ...(t.profile === undefined ? [] : ['--profile', t.profile]),
  ];
}

/** The plan's steps as AWS CLI commands, in the order they must run. */
export function replicationCliCommands(plan: ReplicationPlan): CliCommand[] {
  const commands: CliCommand[] = [];
  const role = plan.role;
  const replication = plan.replication;
  if (role === undefined || replication === undefined) return commands;

  if (role.arn.includes(SOURCE_ACCOUNT_PLACEHOLDER)) {
    commands.push({
      comment: 'The id of the account that owns the origin bucket (origin.account is not set)',
      argv: [
        'aws',
        'sts',
        'get-caller-identity',
        '--query',
        'Account',
        '--output',
        'text',
        ...(role.profile === undefined ? [] : ['--profile', role.profile]),
      ],
      runAs: 'source',
      assign: SOURCE_ACCOUNT_VAR,
    });
  }
  for (const v of plan.versioning) {
    commands.push({
      comment:
        `Versioning on ${v.bucket} (${v.store}); replication needs it on both ends` +
        (v.destinationAccount ? ' - run as the destination account' : ''),
      argv: [
        'aws',
        's3api',
        'put-bucket-versioning',
        '--bucket',
        v.bucket,
        '--versioning-configuration',
        'Status=Enabled',
        ...s3Flags(v),
      ],
      runAs: v.destinationAccount ? 'destination' : 'source',
    });
  }
  for (const p of plan.destinationPolicies) {
    commands.push({
      comment:
        `Bucket policy of ${p.bucket} (replica ${p.replica}) - run as the destination account` +
        `${p.account === undefined ? '' : ` ${p.account}`}; it replaces the bucket's policy: merge with an existing one`,
      argv: [
        'aws',
        's3api',
        'put-bucket-policy',
        '--bucket',
        p.bucket,
        '--policy',
        json(p.policy),
        ...s3Flags(p),
      ],
      runAs: 'destination',
    });
  }
  const iamFlags = [
    ...(role.endpoint === undefined ? [] : ['--endpoint-url', role.endpoint]),
    ...(role.profile === undefined ? [] : ['--profile', role.profile]),
  ];
  commands.push(
    {
      comment: `The role S3 assumes to replicate (if it exists: aws iam update-assume-role-policy with the same document)`,
      argv: [
        'aws',
        'iam',
        'create-role',
        '--role-name',
        role.name,
        '--assume-role-policy-document',
        json(role.trustPolicy),
        ...iamFlags,
      ],
      runAs: 'source',
    },
    {
      comment: `What the role may do, scoped to the library prefix (inline policy ${role.policyName})`,
      argv: [
        'aws',
        'iam',
        'put-role-policy',
        '--role-name',
        role.name,
        '--policy-name',
        role.policyName,
        '--policy-document',
        json(role.policy),
        ...iamFlags,
      ],
      runAs: 'source',
    },
    {
      comment: `The replication rules of ${replication.target.bucket} (replaces its replication configuration)`,
      argv: [
        'aws',
        's3api',
        'put-bucket-replication',
        '--bucket',
        replication.target.bucket,
        '--replication-configuration',
        json(replication.configuration),
        ...s3Flags(replication.target),
      ],
      runAs: 'source',
    },
  );
  return commands;
}

const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** A word for a POSIX shell: as is when safe, else single-quoted; the source account placeholder expands. */
export function shellWord(word: string): string {
  const parts = word.split(SOURCE_ACCOUNT_PLACEHOLDER);
  const quoted = parts.map((part) =>
    part === '' ? '' : SAFE_WORD.test(part) ? part : `'${part.replace(/'/g, `'\\''`)}'`,
  );
  const joined = quoted.join(`"$${SOURCE_ACCOUNT_VAR}"`);
  return joined === '' ? "''" : joined;
}

/** One command as shell text: options one per line, continued with backslashes. */
export function renderCommand(cmd: CliCommand): string {
  const firstOption = cmd.argv.findIndex((w) => w.startsWith('--'));
  const head = (firstOption < 0 ? cmd.argv : cmd.argv.slice(0, firstOption)).map(shellWord).join(' ');
  const lines = [head];
  if (firstOption >= 0) {
    const rest = cmd.argv.slice(firstOption);
    for (let i = 0; i < rest.length; i++) {
      const flag = rest[i] ?? '';
      const next = rest[i + 1];
      if (next !== undefined && !next.startsWith('--')) {
        lines.push(`${shellWord(flag)} ${shellWord(next)}`);
        i++;
      } else {
        lines.push(shellWord(flag));
      }
    }
  }
  const text = lines.join(' \\\n  ');
  return cmd.assign === undefined ? text : `${cmd.assign}="$(${text})"`;
}

/** The whole plan as a script to paste: each command preceded by a comment. */
export function renderCliScript(plan: ReplicationPlan): string {
  const out = [`# Native replication of library "${plan.library}" (generated by claas replication plan)`];
  for (const note of plan.notes) out.push(...commentLines(`NOTE: ${note}`));
  const commands = replicationCliCommands(plan);
  if (commands.length === 0) out.push('# Nothing to run: no replica needs a replication rule.');
  for (const cmd of commands) {
    out.push('', `# ${cmd.comment}`, renderCommand(cmd));
  }
  return `${out.join('\n')}\n`;
}

/** Text as '# ' comment lines of at most about 100 characters. */
export function commentLines(text: string, width = 100): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && line.length + 1 + word.length > width - 2) {
      lines.push(`# ${line}`);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(`# ${line}`);
  return lines;
}
