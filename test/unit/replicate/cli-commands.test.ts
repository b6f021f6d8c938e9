// The plan as AWS CLI commands: each command, split back into words as a POSIX shell would, gives the
// plan's arguments exactly (JSON arguments parse to the plan's documents); the whole script runs in bash
// with a stand-in `aws` that records its arguments.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  renderCliScript,
  renderCommand,
  replicationCliCommands,
  shellWord,
  SOURCE_ACCOUNT_VAR,
} from '../../../src/replicate/cli-commands.js';
import { planNativeReplication } from '../../../src/replicate/plan-native.js';
import { SOURCE_ACCOUNT_PLACEHOLDER } from '../../../src/replicate/plan-types.js';
import type { ReplicationPlan } from '../../../src/replicate/plan-types.js';
import { AWS_EXAMPLE, AWS_ROOT_SAME_ACCOUNT_EXAMPLE, config, ISSUE_4_EXAMPLE } from '../config/examples.js';

/**
 * Splits shell text into words as a POSIX shell does for simple commands: blanks separate words, '...' is
 * literal, "..." expands $VAR and honours \" \\ \$, a backslash quotes the next character (and drops a
 * newline), $VAR expands from env. Enough for what claas writes; anything else is an error.
 */
export function shellSplit(text: string, env: Record<string, string> = {}): string[] {
  const words: string[] = [];
  let word: string | undefined;
  const add = (s: string): void => {
    word = (word ?? '') + s;
  };
  const variable = (i: number): [string, number] => {
    const m = /^\$(?:\{([A-Za-z_]\w*)\}|([A-Za-z_]\w*))/.exec(text.slice(i));
    assert.ok(m !== null, `unsupported $ at ${i}`);
    const name = (m[1] ?? m[2])!;
    assert.ok(name in env, `unset variable ${name}`);
    return [env[name]!, i + m[0].length];
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n') {
      if (word !== undefined) words.push(word);
      word = undefined;
      i++;
    } else if (c === '\\') {
      if (text[i + 1] !== '\n') add(text[i + 1] ?? '');
      i += 2;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      assert.ok(end > i, 'unterminated single quote');
      add(text.slice(i + 1, end));
      i = end + 1;
    } else if (c === '"') {
      add('');
      i++;
      while (text[i] !== '"') {
        assert.ok(i < text.length, 'unterminated double quote');
        if (text[i] === '\\' && '"\\$`\n'.includes(text[i + 1] ?? '')) {
          if (text[i + 1] !== '\n') add(text[i + 1]!);
          i += 2;
        } else if (text[i] === '$') {
          const [value, next] = variable(i);
          add(value);
          i = next;
        } else {
          assert.ok(text[i] !== '`', 'command substitution is not supported');
          add(text[i]!);
          i++;
        }
      }
      i++;
    } else if (c === '$') {
      const [value, next] = variable(i);
      add(value);
      i = next;
    } else {
      assert.ok(!';&|<>()`*?[#~'.includes(c) || word !== undefined || c === '#', `unexpected ${c}`);
      assert.ok(!';&|<>()`'.includes(c), `shell operator ${c} in a command`);
      add(c);
      i++;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** The value after a flag in argv. */
function flag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i < 0 ? undefined : argv[i + 1];
}

function awsPlan(): ReplicationPlan {
  return planNativeReplication(config(AWS_EXAMPLE));
}

test("shellWord: safe words as they are, everything else single-quoted with ' escaped", () => {
  for (const word of [
    'plain',
    'Status=Enabled',
    'arn:aws:s3:::b/x/*',
    "it's",
    "''",
    'a b',
    '$HOME ${x} `id` $(id)',
    'back\\slash',
    'new\nline',
    '',
    '"double"',
    '{\n  "Sid": "It\'s"\n}',
  ]) {
    assert.deepEqual(shellSplit(shellWord(word)), [word], JSON.stringify(word));
  }
  // The source account placeholder becomes a shell variable.
  const w = shellWord(`{"AWS": "arn:aws:iam::${SOURCE_ACCOUNT_PLACEHOLDER}:role/r"}`);
  assert.ok(w.includes(`"$${SOURCE_ACCOUNT_VAR}"`), w);
  assert.deepEqual(shellSplit(w, { [SOURCE_ACCOUNT_VAR]: '111122223333' }), [
    '{"AWS": "arn:aws:iam::111122223333:role/r"}',
  ]);
});

test('the AWS example: every command splits back into the plan (JSON arguments parse to its documents)', () => {
  const plan = awsPlan();
  const commands = replicationCliCommands(plan);
  assert.deepEqual(
    commands.map((c) => [c.argv.slice(0, 3).join(' '), c.runAs]),
    [
      ['aws s3api put-bucket-versioning', 'source'],
      ['aws s3api put-bucket-versioning', 'source'],
      ['aws s3api put-bucket-versioning', 'destination'],
      ['aws s3api put-bucket-policy', 'destination'],
      ['aws iam create-role', 'source'],
      ['aws iam put-role-policy', 'source'],
      ['aws s3api put-bucket-replication', 'source'],
    ],
  );
  for (const cmd of commands) {
    const text = renderCommand(cmd);
    assert.deepEqual(shellSplit(text), cmd.argv, text);
  }
  const argv = (i: number): string[] => shellSplit(renderCommand(commands[i]!));
  assert.deepEqual(argv(0), [
    'aws',
    's3api',
    'put-bucket-versioning',
    '--bucket',
    'templates-us-east-1',
    '--versioning-configuration',
    'Status=Enabled',
    '--region',
    'us-east-1',
    '--profile',
    'publisher',
  ]);
  assert.equal(flag(argv(2), '--profile'), 'client-a');
  assert.equal(flag(argv(2), '--region'), 'eu-west-1');
  assert.match(commands[3]!.comment, /run as the destination account 123456789012/);
  assert.deepEqual(JSON.parse(flag(argv(3), '--policy')!), plan.destinationPolicies[0]!.policy);
  assert.equal(flag(argv(3), '--bucket'), 'client-a-templates');
  assert.equal(flag(argv(4), '--role-name'), plan.role!.name);
  assert.deepEqual(JSON.parse(flag(argv(4), '--assume-role-policy-document')!), plan.role!.trustPolicy);
  assert.equal(flag(argv(4), '--region'), undefined, 'IAM is global');
  assert.equal(flag(argv(5), '--policy-name'), 'claas-templates-replication');
  assert.deepEqual(JSON.parse(flag(argv(5), '--policy-document')!), plan.role!.policy);
  assert.deepEqual(
    JSON.parse(flag(argv(6), '--replication-configuration')!),
    plan.replication!.configuration,
  );
  assert.equal(flag(argv(6), '--bucket'), 'templates-us-east-1');
  assert.equal(flag(argv(6), '--region'), 'us-east-1');
});

test('an S3-compatible endpoint is passed with --endpoint-url (IAM too)', () => {
  const plan = planNativeReplication(
    config(`library: t
origin: { location: s3://src/lib, endpoint: "http://rgw.example:7480", region: default, account: "111122223333" }
replicas:
  - { name: other, location: s3://dst/lib, endpoint: "http://rgw.example:7480", mode: native }
`),
  );
  for (const cmd of replicationCliCommands(plan)) {
    assert.equal(
      flag(shellSplit(renderCommand(cmd)), '--endpoint-url'),
      'http://rgw.example:7480',
      cmd.comment,
    );
  }
});

test('the whole script runs in bash: a stand-in aws records exactly the plan arguments', async (t) => {
  if (spawnSync('bash', ['-c', 'true']).status !== 0) {
    t.skip('bash is not available');
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'claas-cli-'));
  try {
    for (const plan of [awsPlan(), planNativeReplication(config(AWS_ROOT_SAME_ACCOUNT_EXAMPLE))]) {
      const script = renderCliScript(plan);
      const record = join(dir, 'calls');
      await writeFile(record, '');
      // The stand-in prints an account id for sts, and records each call's words NUL-separated.
      const prelude =
        `aws() { printf '%s\\0' aws "$@" >> ${shellWord(record)}; printf '\\n' >> ${shellWord(record)}; ` +
        `if [ "$1" = sts ]; then echo 444455556666; fi; }\n`;
      const run = spawnSync('bash', ['-euc', `${prelude}${script}`], { encoding: 'utf8' });
      assert.equal(run.status, 0, run.stderr);
      const calls = (await readFile(record, 'utf8'))
        .split('\0\n')
        .filter((c) => c !== '')
        .map((c) => c.split('\0'));
      const expected = replicationCliCommands(plan).map((c) =>
        c.argv.map((w) => w.split(SOURCE_ACCOUNT_PLACEHOLDER).join('444455556666')),
      );
      assert.deepEqual(calls, expected);
      if (plan.role!.arn.includes(SOURCE_ACCOUNT_PLACEHOLDER)) {
        const replication = calls[calls.length - 1]!;
        const doc = JSON.parse(flag(replication, '--replication-configuration')!) as { Role: string };
        assert.equal(doc.Role, 'arn:aws:iam::444455556666:role/claas-replication-isos-origin');
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the script says why, and has nothing to run when no rule is needed', () => {
  const script = renderCliScript(awsPlan());
  assert.match(script, /^# Native replication of library "templates"/);
  assert.match(script, /# NOTE: S3 replicates only objects written after the rule exists/);
  for (const line of script.split('\n').filter((l) => l.startsWith('#'))) assert.ok(line.length <= 200, line);
  const none = renderCliScript(planNativeReplication(config(ISSUE_4_EXAMPLE)));
  assert.match(none, /# Nothing to run: no replica needs a replication rule\./);
  assert.deepEqual(
    none.split('\n').filter((l) => l !== '' && !l.startsWith('#')),
    [],
  );
});
