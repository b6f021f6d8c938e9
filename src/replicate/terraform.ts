// The native replication plan as Terraform (HashiCorp AWS provider v5 resources) a user can paste into a
// .tf file: one provider configuration per account/region/endpoint, versioning, the role and its inline
// policy, the destination bucket policies (applied with the destination account's provider) and the
// replication configuration. Written by a small HCL emitter for the subset used here: blocks, attributes,
// strings (with ${ and %{ escaped), numbers, lists, objects, references and jsonencode(...).

import { commentLines } from './cli-commands.js';
import type { BucketTarget, ReplicationPlan, ReplicationRule } from './plan-types.js';
import { isAwsEndpoint } from '../store/endpoints.js';
import { HclCall, attr, block, hclBody, ref } from '../util/hcl.js';
import type { HclItem, HclValue } from '../util/hcl.js';

// ---- The plan as Terraform ----

interface ProviderRef {
  alias: string;
  target: BucketTarget;
}

/** Terraform names: letters, digits and underscores, unique within the file. */
function tfName(base: string, taken: Set<string>): string {
  let name = base.replace(/[^A-Za-z0-9_]/g, '_');
  if (!/^[A-Za-z_]/.test(name)) name = `_${name}`;
  let unique = name;
  for (let n = 2; taken.has(unique); n++) unique = `${name}_${n}`;
  taken.add(unique);
  return unique;
}

class Providers {
  private readonly byKey = new Map<string, ProviderRef>();
  private readonly names = new Set<string>();

  /** The provider alias for a target's region/endpoint/profile (created on first use). */
  for(store: string, t: BucketTarget): string {
    const key = `${t.region ?? ''}|${t.endpoint ?? ''}|${t.profile ?? ''}`;
    let p = this.byKey.get(key);
    if (p === undefined) {
      p = { alias: tfName(store, this.names), target: t };
      this.byKey.set(key, p);
    }
    return p.alias;
  }

  blocks(): HclItem[] {
    return [...this.byKey.values()].flatMap((p) => [providerBlock(p), { kind: 'blank' } as const]);
  }
}

function providerBlock(p: ProviderRef): HclItem {
  const t = p.target;
  const body: HclItem[] = [
    attr('alias', p.alias),
    ...(t.region === undefined ? [] : [attr('region', t.region)]),
    ...(t.profile === undefined ? [] : [attr('profile', t.profile)]),
  ];
  if (t.endpoint !== undefined && !isAwsEndpoint(t.endpoint)) {
    // An S3-compatible store (Ceph RGW serves S3, IAM and STS on one endpoint).
    body.push(
      attr('s3_use_path_style', true),
      attr('skip_credentials_validation', true),
      attr('skip_region_validation', true),
      attr('skip_requesting_account_id', true),
      { kind: 'blank' },
      block('endpoints', [], [attr('s3', t.endpoint), attr('iam', t.endpoint), attr('sts', t.endpoint)]),
    );
  } else if (t.endpoint !== undefined) {
    body.push(block('endpoints', [], [attr('s3', t.endpoint)]));
  }
  return block('provider', ['aws'], body);
}

/** A JSON document for jsonencode(), with the role's ARN replaced by a reference to the role resource. */
function jsonValue(v: unknown, roleArn: string): HclValue {
  if (typeof v === 'string') return v === roleArn ? ref('aws_iam_role.replication.arn') : v;
  if (typeof v === 'number' || typeof v === 'boolean') return v;
  if (Array.isArray(v)) return v.map((x) => jsonValue(x, roleArn));
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonValue(x, roleArn)]));
  }
  throw new TypeError('jsonencode: unsupported value');
}

const jsonencode = (doc: unknown, roleArn: string): HclCall =>
  new HclCall('jsonencode', [jsonValue(doc, roleArn)]);

function ruleBlock(rule: ReplicationRule): HclItem {
  const d = rule.Destination;
  const destination: HclItem[] = [
    attr('bucket', d.Bucket),
    ...(d.StorageClass === undefined ? [] : [attr('storage_class', d.StorageClass)]),
    ...(d.Account === undefined ? [] : [attr('account', d.Account)]),
  ];
  if (d.AccessControlTranslation !== undefined) {
    destination.push(
      block('access_control_translation', [], [attr('owner', d.AccessControlTranslation.Owner)]),
    );
  }
  if (d.EncryptionConfiguration !== undefined) {
    destination.push(
      block(
        'encryption_configuration',
        [],
        [attr('replica_kms_key_id', d.EncryptionConfiguration.ReplicaKmsKeyID)],
      ),
    );
  }
  if (d.ReplicationTime !== undefined) {
    destination.push(
      block(
        'replication_time',
        [],
        [
          attr('status', d.ReplicationTime.Status),
          block('time', [], [attr('minutes', d.ReplicationTime.Time.Minutes)]),
        ],
      ),
    );
  }
  if (d.Metrics !== undefined) {
    destination.push(
      block(
        'metrics',
        [],
        [
          attr('status', d.Metrics.Status),
          ...(d.Metrics.EventThreshold === undefined
            ? []
            : [block('event_threshold', [], [attr('minutes', d.Metrics.EventThreshold.Minutes)])]),
        ],
      ),
    );
  }
  const body: HclItem[] = [
    attr('id', rule.ID),
    attr('priority', rule.Priority),
    attr('status', rule.Status),
    block('filter', [], rule.Filter.Prefix === undefined ? [] : [attr('prefix', rule.Filter.Prefix)]),
    block('delete_marker_replication', [], [attr('status', rule.DeleteMarkerReplication.Status)]),
  ];
  if (rule.SourceSelectionCriteria !== undefined) {
    body.push(
      block(
        'source_selection_criteria',
        [],
        [
          block(
            'sse_kms_encrypted_objects',
            [],
            [attr('status', rule.SourceSelectionCriteria.SseKmsEncryptedObjects.Status)],
          ),
        ],
      ),
    );
  }
  body.push(block('destination', [], destination));
  return block('rule', [], body);
}

const VERSIONING_COMMENT =
  'Versioning must be enabled on the source and every destination bucket before replication.';

/** The plan as a Terraform file (HCL). */
export function replicationTerraform(plan: ReplicationPlan): string {
  const header: HclItem[] = [
    {
      kind: 'comment',
      lines: [
        `# Native replication of library "${plan.library}" (generated by claas replication plan --format terraform)`,
        ...plan.notes.flatMap((n) => commentLines(`NOTE: ${n}`)),
      ],
    },
    { kind: 'blank' },
    block(
      'terraform',
      [],
      [block('required_providers', [], [attr('aws', { source: 'hashicorp/aws', version: '>= 5.0, < 7.0' })])],
    ),
    { kind: 'blank' },
  ];
  const role = plan.role;
  const replication = plan.replication;
  if (role === undefined || replication === undefined) {
    return hclBody([
      ...header,
      { kind: 'comment', lines: ['# Nothing to create: no replica needs a rule.'] },
    ]);
  }
  const providers = new Providers();
  const names = new Set<string>();
  const sourceProvider = providers.for('origin', replication.target);
  const resources: HclItem[] = [];
  const dependsOn: string[] = [];
  const policyDependencies: string[] = ['aws_iam_role_policy.replication'];

  for (const v of plan.versioning) {
    const name = tfName(v.store === 'origin' ? 'origin' : `replica_${v.store}`, names);
    const provider = providers.for(v.store === 'origin' ? 'origin' : `replica_${v.store}`, v);
    dependsOn.push(`aws_s3_bucket_versioning.${name}`);
    resources.push(
      {
        kind: 'comment',
        lines: [
          `# ${VERSIONING_COMMENT}`,
          ...(v.destinationAccount
            ? [`# Apply in the destination account${v.account ? ` ${v.account}` : ''}.`]
            : []),
        ],
      },
      block(
        'resource',
        ['aws_s3_bucket_versioning', name],
        [
          attr('provider', ref(`aws.${provider}`)),
          attr('bucket', v.bucket),
          { kind: 'blank' },
          block('versioning_configuration', [], [attr('status', 'Enabled')]),
        ],
      ),
      { kind: 'blank' },
    );
  }

  resources.push(
    { kind: 'comment', lines: ['# The role S3 assumes to replicate; only the S3 service may assume it.'] },
    block(
      'resource',
      ['aws_iam_role', 'replication'],
      [
        attr('provider', ref(`aws.${sourceProvider}`)),
        attr('name', role.name),
        attr('assume_role_policy', jsonencode(role.trustPolicy, role.arn)),
      ],
    ),
    { kind: 'blank' },
    { kind: 'comment', lines: ['# What the role may do, scoped to the library prefix.'] },
    block(
      'resource',
      ['aws_iam_role_policy', 'replication'],
      [
        attr('provider', ref(`aws.${sourceProvider}`)),
        attr('name', role.policyName),
        attr('role', ref('aws_iam_role.replication.id')),
        attr('policy', jsonencode(role.policy, role.arn)),
      ],
    ),
    { kind: 'blank' },
  );

  for (const p of plan.destinationPolicies) {
    const name = tfName(`replica_${p.replica}_policy`, names);
    const provider = providers.for(`replica_${p.replica}`, p);
    policyDependencies.push(`aws_s3_bucket_policy.${name}`);
    resources.push(
      {
        kind: 'comment',
        lines: [
          `# Apply in the destination account${p.account ? ` ${p.account}` : ''} (replica ${p.replica}): lets the ` +
            'source role replicate into the library prefix.',
          "# It replaces the bucket's policy: merge these statements into an existing one.",
        ],
      },
      block(
        'resource',
        ['aws_s3_bucket_policy', name],
        [
          attr('provider', ref(`aws.${provider}`)),
          attr('bucket', p.bucket),
          attr('policy', jsonencode(p.policy, role.arn)),
        ],
      ),
      { kind: 'blank' },
    );
  }

  const config = replication.configuration;
  resources.push(
    {
      kind: 'comment',
      lines: [
        `# The replication configuration of ${replication.target.bucket}: one rule per destination.`,
        '# A bucket has one replication configuration: merge rules other tools manage into this resource.',
      ],
    },
    block(
      'resource',
      ['aws_s3_bucket_replication_configuration', tfName('origin', new Set())],
      [
        attr('provider', ref(`aws.${sourceProvider}`)),
        attr('depends_on', [...dependsOn, ...policyDependencies].map(ref)),
        { kind: 'blank' },
        attr('role', config.Role === role.arn ? ref('aws_iam_role.replication.arn') : config.Role),
        attr('bucket', replication.target.bucket),
        ...config.Rules.flatMap((r): HclItem[] => [{ kind: 'blank' }, ruleBlock(r)]),
      ],
    ),
  );
  return hclBody([...header, ...providers.blocks(), ...resources]);
}
