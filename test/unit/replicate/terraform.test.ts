// The plan as Terraform. terraform is not installable here (not in Debian), so a small HCL tokenizer and
// parser check the structure: balanced blocks, strings without template sequences, every resource type and
// argument name one the AWS provider (v5) documents, jsonencode() documents equal to the plan's, and the
// replication configuration's rule blocks equal to the PutBucketReplication rules once renamed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { replicationTerraform } from '../../../src/replicate/terraform.js';
import { hclString, hclValue } from '../../../src/util/hcl.js';
import { planNativeReplication } from '../../../src/replicate/plan-native.js';
import type { ReplicationPlan } from '../../../src/replicate/plan-types.js';
import { AWS_EXAMPLE, AWS_ROOT_SAME_ACCOUNT_EXAMPLE, config, ISSUE_4_EXAMPLE } from '../config/examples.js';

// ---- A tokenizer and parser for the HCL subset ----

type Token =
  | { t: 'ident'; v: string }
  | { t: 'string'; v: string }
  | { t: 'number'; v: number }
  | { t: 'punct'; v: string }
  | { t: 'nl' };

function decodeString(src: string, start: number): [string, number] {
  let out = '';
  let i = start + 1;
  for (;;) {
    const c = src[i];
    assert.ok(c !== undefined && c !== '\n', `unterminated string at ${start}`);
    if (c === '"') return [out, i + 1];
    if (c === '\\') {
      const e = src[i + 1];
      const simple: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' };
      if (e === 'u') {
        out += String.fromCharCode(parseInt(src.slice(i + 2, i + 6), 16));
        i += 6;
      } else {
        assert.ok(e !== undefined && e in simple, `bad escape \\${e}`);
        out += simple[e];
        i += 2;
      }
    } else if ((c === '$' || c === '%') && src[i + 1] === c && src[i + 2] === '{') {
      out += `${c}{`;
      i += 3;
    } else {
      assert.ok(
        !((c === '$' || c === '%') && src[i + 1] === '{'),
        `template sequence ${c}{ in a string at ${i}`,
      );
      out += c;
      i++;
    }
  }
}

export function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === '#') {
      while (i < src.length && src[i] !== '\n') i++;
    } else if (c === '\n') {
      tokens.push({ t: 'nl' });
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r') {
      i++;
    } else if (c === '"') {
      const [v, next] = decodeString(src, i);
      tokens.push({ t: 'string', v });
      i = next;
    } else if (/[0-9]/.test(c)) {
      const m = /^[0-9]+(\.[0-9]+)?/.exec(src.slice(i))!;
      tokens.push({ t: 'number', v: Number(m[0]) });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(src.slice(i))!;
      tokens.push({ t: 'ident', v: m[0] });
      i += m[0].length;
    } else if ('{}[]()=,.'.includes(c)) {
      tokens.push({ t: 'punct', v: c });
      i++;
    } else {
      assert.fail(`unexpected character ${JSON.stringify(c)} at ${i}`);
    }
  }
  return tokens;
}

interface Ref {
  ref: string;
}
interface Call {
  call: string;
  args: Value[];
}
type Value = string | number | boolean | Ref | Call | Value[] | { [k: string]: Value };
export interface Block {
  type: string;
  labels: string[];
  attrs: Record<string, Value>;
  blocks: Block[];
}

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token | undefined {
    return this.tokens[this.i];
  }
  private next(): Token {
    const t = this.tokens[this.i++];
    assert.ok(t !== undefined, 'unexpected end of input');
    return t;
  }
  private skipNewlines(): void {
    while (this.peek()?.t === 'nl') this.i++;
  }
  private expect(v: string): void {
    const t = this.next();
    assert.ok(t.t === 'punct' && t.v === v, `expected ${v}, got ${JSON.stringify(t)}`);
  }
  private isPunct(v: string): boolean {
    const t = this.peek();
    return t?.t === 'punct' && t.v === v;
  }

  body(top: boolean): Block {
    const out: Block = { type: '', labels: [], attrs: {}, blocks: [] };
    for (;;) {
      this.skipNewlines();
      const t = this.peek();
      if (t === undefined) {
        assert.ok(top, 'unbalanced: missing }');
        return out;
      }
      if (t.t === 'punct' && t.v === '}') {
        assert.ok(!top, 'unbalanced: extra }');
        return out;
      }
      assert.ok(t.t === 'ident', `expected a name, got ${JSON.stringify(t)}`);
      this.i++;
      if (this.isPunct('=')) {
        this.i++;
        assert.ok(!(t.v in out.attrs), `attribute ${t.v} twice`);
        out.attrs[t.v] = this.expr();
        const end = this.peek();
        assert.ok(
          end === undefined || end.t === 'nl' || (end.t === 'punct' && end.v === '}'),
          'one attribute per line',
        );
      } else {
        const labels: string[] = [];
        while (this.peek()?.t === 'string') labels.push((this.next() as { v: string }).v);
        this.expect('{');
        const inner = this.body(false);
        this.expect('}');
        out.blocks.push({ ...inner, type: t.v, labels });
      }
    }
  }

  expr(): Value {
    const t = this.next();
    if (t.t === 'string' || t.t === 'number') return t.v;
    if (t.t === 'ident') {
      if (t.v === 'true' || t.v === 'false') return t.v === 'true';
      if (this.isPunct('(')) {
        this.i++;
        const args: Value[] = [];
        while (!this.isPunct(')')) {
          this.skipNewlines();
          args.push(this.expr());
          this.skipNewlines();
          if (this.isPunct(',')) this.i++;
        }
        this.i++;
        return { call: t.v, args };
      }
      let ref = t.v;
      while (this.isPunct('.')) {
        this.i++;
        const part = this.next();
        assert.ok(part.t === 'ident', 'reference part');
        ref += `.${part.v}`;
      }
      return { ref };
    }
    if (t.t === 'punct' && t.v === '[') {
      const items: Value[] = [];
      for (;;) {
        this.skipNewlines();
        if (this.isPunct(']')) break;
        items.push(this.expr());
        this.skipNewlines();
        if (this.isPunct(',')) this.i++;
        else {
          this.skipNewlines();
          assert.ok(this.isPunct(']'), 'list items are separated by commas');
        }
      }
      this.i++;
      return items;
    }
    if (t.t === 'punct' && t.v === '{') {
      const obj: Record<string, Value> = {};
      for (;;) {
        this.skipNewlines();
        if (this.isPunct('}')) break;
        const k = this.next();
        assert.ok(k.t === 'ident' || k.t === 'string', 'object key');
        this.expect('=');
        obj[String(k.v)] = this.expr();
        if (this.isPunct(',')) this.i++;
        else assert.ok(this.peek()?.t === 'nl' || this.isPunct('}'), 'object entries end a line');
      }
      this.i++;
      return obj;
    }
    assert.fail(`unexpected ${JSON.stringify(t)} in an expression`);
  }
}

export function parseHcl(src: string): Block {
  return new Parser(tokenize(src)).body(true);
}

// ---- Names the AWS provider documents (registry.terraform.io/providers/hashicorp/aws, v5) ----

const PROVIDER_DOCS: Record<string, string[]> = {
  terraform: ['required_providers'],
  provider: [
    'alias',
    'region',
    'profile',
    'endpoints',
    's3',
    'iam',
    'sts',
    's3_use_path_style',
    'skip_credentials_validation',
    'skip_region_validation',
    'skip_requesting_account_id',
    'skip_metadata_api_check',
  ],
  aws_s3_bucket_versioning: [
    'provider',
    'bucket',
    'versioning_configuration',
    'status',
    'mfa_delete',
    'expected_bucket_owner',
  ],
  aws_iam_role: ['provider', 'name', 'assume_role_policy', 'path', 'description'],
  aws_iam_role_policy: ['provider', 'name', 'role', 'policy'],
  aws_s3_bucket_policy: ['provider', 'bucket', 'policy'],
  aws_s3_bucket_replication_configuration: [
    'provider',
    'depends_on',
    'role',
    'bucket',
    'token',
    'rule',
    'id',
    'priority',
    'status',
    'filter',
    'prefix',
    'delete_marker_replication',
    'source_selection_criteria',
    'sse_kms_encrypted_objects',
    'replica_modifications',
    'destination',
    'storage_class',
    'account',
    'access_control_translation',
    'owner',
    'encryption_configuration',
    'replica_kms_key_id',
    'replication_time',
    'time',
    'minutes',
    'metrics',
    'event_threshold',
  ],
};

/** Every attribute and nested block name below a block. */
function namesIn(b: Block): string[] {
  return [...Object.keys(b.attrs), ...b.blocks.flatMap((x) => [x.type, ...namesIn(x)])];
}

function resources(root: Block, type?: string): Block[] {
  return root.blocks.filter((b) => b.type === 'resource' && (type === undefined || b.labels[0] === type));
}

function resource(root: Block, type: string, name: string): Block {
  const r = resources(root, type).find((b) => b.labels[1] === name);
  assert.ok(r !== undefined, `no resource ${type}.${name}`);
  return r;
}

/** A jsonencode() argument as JSON, with references resolved. */
function decodeJson(v: Value, refs: Record<string, string>): unknown {
  if (typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => decodeJson(x, refs));
  if ('ref' in v && typeof v.ref === 'string') {
    assert.ok(v.ref in refs, `unknown reference ${v.ref}`);
    return refs[v.ref];
  }
  assert.ok(!('call' in v && Array.isArray(v.args)), 'no calls inside a document');
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decodeJson(x as Value, refs)]));
}

function jsonencoded(v: Value | undefined, refs: Record<string, string>): unknown {
  assert.ok(v !== undefined && typeof v === 'object' && !Array.isArray(v) && 'call' in v, 'a function call');
  const call = v as Call;
  assert.equal(call.call, 'jsonencode');
  assert.equal(call.args.length, 1);
  return decodeJson(call.args[0]!, refs);
}

const API_NAMES: Record<string, string> = { id: 'ID', replica_kms_key_id: 'ReplicaKmsKeyID' };
const apiName = (n: string): string =>
  API_NAMES[n] ?? n.replace(/(^|_)([a-z])/g, (_m, _u, ch: string) => ch.toUpperCase());

/** A Terraform block (rule { ... }) in the S3 API's names (Rule{ID, ...}). */
function asApi(b: Block): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(b.attrs)) out[apiName(k)] = v;
  for (const x of b.blocks) out[apiName(x.type)] = asApi(x);
  return out;
}

function check(plan: ReplicationPlan): Block {
  const text = replicationTerraform(plan);
  const root = parseHcl(text);
  const refs = { 'aws_iam_role.replication.arn': plan.role!.arn };
  // Every resource type and argument name is one the provider documents.
  for (const b of root.blocks) {
    const kind = b.type === 'resource' ? b.labels[0]! : b.type;
    const documented = PROVIDER_DOCS[kind];
    assert.ok(documented !== undefined, `undocumented ${kind}`);
    for (const name of namesIn(b)) {
      if (kind === 'terraform' && name === 'aws') continue; // the provider's local name
      assert.ok(documented.includes(name), `${kind}: ${name} is not an argument the provider documents`);
    }
  }
  // Every resource names a provider alias that is declared.
  const aliases = root.blocks.filter((b) => b.type === 'provider').map((b) => b.attrs.alias);
  for (const r of resources(root)) {
    const p = r.attrs.provider as Ref;
    assert.ok(aliases.includes(p.ref.replace(/^aws\./, '')), `provider ${p.ref}`);
  }
  // The documents equal the plan's.
  const role = resource(root, 'aws_iam_role', 'replication');
  assert.equal(role.attrs.name, plan.role!.name);
  assert.deepEqual(jsonencoded(role.attrs.assume_role_policy, refs), plan.role!.trustPolicy);
  const policy = resource(root, 'aws_iam_role_policy', 'replication');
  assert.deepEqual(policy.attrs.role, { ref: 'aws_iam_role.replication.id' });
  assert.deepEqual(jsonencoded(policy.attrs.policy, refs), plan.role!.policy);
  const bucketPolicies = resources(root, 'aws_s3_bucket_policy');
  assert.equal(bucketPolicies.length, plan.destinationPolicies.length);
  for (const [i, p] of plan.destinationPolicies.entries()) {
    assert.equal(bucketPolicies[i]!.attrs.bucket, p.bucket);
    assert.deepEqual(jsonencoded(bucketPolicies[i]!.attrs.policy, refs), p.policy);
  }
  // The replication configuration: after the versioning and bucket policies, rules equal to the plan's.
  const [replication, ...more] = resources(root, 'aws_s3_bucket_replication_configuration');
  assert.ok(
    replication !== undefined && more.length === 0,
    'one replication configuration per source bucket',
  );
  assert.deepEqual(replication.attrs.role, { ref: 'aws_iam_role.replication.arn' });
  assert.equal(replication.attrs.bucket, plan.replication!.target.bucket);
  const dependsOn = (replication.attrs.depends_on as Ref[]).map((r) => r.ref);
  for (const v of resources(root, 'aws_s3_bucket_versioning')) {
    assert.ok(dependsOn.includes(`aws_s3_bucket_versioning.${v.labels[1]}`));
    assert.deepEqual(v.blocks, [
      { type: 'versioning_configuration', labels: [], attrs: { status: 'Enabled' }, blocks: [] },
    ]);
  }
  for (const b of bucketPolicies) assert.ok(dependsOn.includes(`aws_s3_bucket_policy.${b.labels[1]}`));
  assert.ok(dependsOn.includes('aws_iam_role_policy.replication'));
  assert.deepEqual(
    replication.blocks.filter((b) => b.type === 'rule').map(asApi),
    plan.replication!.configuration.Rules,
  );
  return root;
}

test('the AWS example as Terraform: parses, documented names only, documents and rules equal the plan', () => {
  const plan = planNativeReplication(config(AWS_EXAMPLE));
  const root = check(plan);
  const text = replicationTerraform(plan);
  // One provider per account/region, each with the store's profile.
  assert.deepEqual(
    root.blocks
      .filter((b) => b.type === 'provider')
      .map((b) => [b.labels[0], b.attrs.alias, b.attrs.region, b.attrs.profile]),
    [
      ['aws', 'origin', 'us-east-1', 'publisher'],
      ['aws', 'replica_west', 'us-west-2', 'publisher'],
      ['aws', 'replica_client_a', 'eu-west-1', 'client-a'],
    ],
  );
  const required = root.blocks.find((b) => b.type === 'terraform')!.blocks[0]!;
  assert.deepEqual(required.attrs.aws, { source: 'hashicorp/aws', version: '>= 5.0, < 7.0' });
  // The destination bucket policy is applied with the destination account's provider, and says so.
  const policy = resources(root, 'aws_s3_bucket_policy')[0]!;
  assert.deepEqual(policy.attrs.provider, { ref: 'aws.replica_client_a' });
  assert.match(
    text,
    /# Apply in the destination account 123456789012 \(replica client-a\)[^\n]*\n# It replaces[^\n]*\nresource "aws_s3_bucket_policy"/,
  );
  // Principal is the role resource's ARN, so Terraform creates the role first.
  assert.match(text, /AWS = aws_iam_role\.replication\.arn/);
  // RTC and metrics blocks as the provider documents them.
  assert.match(text, /replication_time \{\n\s+status = "Enabled"\n\s+time \{\n\s+minutes = 15\n\s+\}/);
  assert.match(text, /metrics \{\n\s+status = "Enabled"\n\s+event_threshold \{\n\s+minutes = 15\n\s+\}/);
});

test('a bucket-root library: filter {} and the role ARN only as a reference', () => {
  const plan = planNativeReplication(config(AWS_ROOT_SAME_ACCOUNT_EXAMPLE));
  const root = check(plan);
  const rule = resources(root, 'aws_s3_bucket_replication_configuration')[0]!.blocks.find(
    (b) => b.type === 'rule',
  )!;
  assert.deepEqual(
    rule.blocks.find((b) => b.type === 'filter'),
    { type: 'filter', labels: [], attrs: {}, blocks: [] },
  );
  const text = replicationTerraform(plan);
  // The placeholder never reaches Terraform code (only the notes mention it).
  assert.ok(!/[^$]\$\{/.test(text.replace(/^#.*$/gm, '')), 'no interpolation outside comments');
});

test('an S3-compatible endpoint gets a provider with its endpoints and path-style addressing', () => {
  const plan = planNativeReplication(
    config(`library: t
origin: { location: s3://src/lib, endpoint: "http://rgw.example:7480", region: default, account: "111122223333" }
replicas:
  - { name: other, location: s3://dst/lib, endpoint: "http://rgw.example:7480", region: default, mode: native }
`),
  );
  const root = check(plan);
  const [provider, ...others] = root.blocks.filter((b) => b.type === 'provider');
  assert.equal(others.length, 0, 'one provider for one endpoint/region/profile');
  assert.equal(provider!.attrs.s3_use_path_style, true);
  assert.equal(provider!.attrs.skip_region_validation, true);
  assert.deepEqual(provider!.blocks[0], {
    type: 'endpoints',
    labels: [],
    attrs: { s3: 'http://rgw.example:7480', iam: 'http://rgw.example:7480', sts: 'http://rgw.example:7480' },
    blocks: [],
  });
});

test('nothing to create for the Ceph multisite example', () => {
  const text = replicationTerraform(planNativeReplication(config(ISSUE_4_EXAMPLE)));
  const root = parseHcl(text);
  assert.deepEqual(resources(root), []);
  assert.match(text, /# Nothing to create: no replica needs a rule\./);
});

test('HCL strings and values: escapes and template sequences round-trip through the tokenizer', () => {
  for (const s of [
    'plain',
    'a "quoted" \\ path',
    'line\nbreak\ttab',
    '${not.interpolated}',
    '%{ if x }',
    '$$ and %%',
    'ctl\u0001',
    'ünï',
  ]) {
    const tokens = tokenize(hclString(s));
    assert.deepEqual(tokens, [{ t: 'string', v: s }], JSON.stringify(s));
  }
  assert.equal(hclString('${x}'), '"$${x}"');
  const value = { 'kms:ViaService': ['a', 'b'], Plain: { Nested: 1, flag: true }, empty: [], none: {} };
  const parsed = new Parser(tokenize(hclValue(value, ''))).expr();
  assert.deepEqual(parsed, value);
});
