// The IAM calls `claas replication apply` makes: the role S3 assumes to replicate, its trust policy and its
// inline policy. @aws-sdk/client-iam is loaded on demand (only apply uses it). Failures are ClaasErrors whose
// cause keeps the IAM error code and HTTP status.

import type { PolicyJson } from './bucket-config.js';
import { awsCredentials } from './aws-sdk.js';
import { DEFAULT_REGION } from './endpoints.js';
import { ClaasError } from '../errors.js';
import { httpStatus, mapAwsError, s3ErrorCode } from './s3-errors.js';
import { suppressSdkNodeVersionWarning } from './s3-client.js';

export interface IamTarget {
  /** Only for S3-compatible stores that serve IAM; undefined = AWS IAM. */
  endpoint?: string;
  region?: string;
  profile?: string;
}

export interface IamAdmin {
  /** Throws when the caller may not use IAM roles at all (one ListRoles of one item). */
  probe(): Promise<void>;
  /** The role's trust policy; undefined when the role does not exist. */
  getRole(name: string): Promise<{ trust?: PolicyJson } | undefined>;
  createRole(name: string, trust: PolicyJson, description: string): Promise<void>;
  updateTrust(name: string, trust: PolicyJson): Promise<void>;
  /** An inline policy of a role; undefined when it (or the role) does not exist. */
  getRolePolicy(role: string, policy: string): Promise<PolicyJson | undefined>;
  putRolePolicy(role: string, policy: string, doc: PolicyJson): Promise<void>;
  close(): void;
}

function missing(e: unknown): boolean {
  return s3ErrorCode(e) === 'NoSuchEntity' || httpStatus(e) === 404;
}

/** IAM returns policy documents URL-encoded. */
function parseDoc(text: string | undefined): PolicyJson | undefined {
  return text === undefined ? undefined : (JSON.parse(decodeURIComponent(text)) as PolicyJson);
}

export async function openIam(t: IamTarget): Promise<IamAdmin> {
  suppressSdkNodeVersionWarning();
  let iam: typeof import('@aws-sdk/client-iam');
  try {
    iam = await import('@aws-sdk/client-iam');
  } catch (e) {
    throw new ClaasError('INTERNAL', 'the AWS SDK IAM client (@aws-sdk/client-iam) is not installed', {
      hint: 'reinstall claas (npm ci) so that its dependencies are complete',
      cause: e,
    });
  }
  const client = new iam.IAMClient({
    region: t.region ?? DEFAULT_REGION,
    ...(t.endpoint === undefined ? {} : { endpoint: t.endpoint }),
    credentials: awsCredentials.fromNodeProviderChain(t.profile === undefined ? {} : { profile: t.profile }),
    maxAttempts: 3,
  });
  const send = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (e) {
      throw mapAwsError(e, `IAM ${what}`, t.endpoint);
    }
  };
  /** A read that answers undefined for a missing role or policy. */
  const read = async <T>(what: string, run: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await run();
    } catch (e) {
      if (missing(e)) return undefined;
      throw mapAwsError(e, `IAM ${what}`, t.endpoint);
    }
  };
  return {
    async probe() {
      await send('ListRoles', () => client.send(new iam.ListRolesCommand({ MaxItems: 1 })));
    },
    async getRole(name) {
      const out = await read(`GetRole ${name}`, () =>
        client.send(new iam.GetRoleCommand({ RoleName: name })),
      );
      if (out === undefined) return undefined;
      const trust = parseDoc(out.Role?.AssumeRolePolicyDocument);
      return trust === undefined ? {} : { trust };
    },
    async createRole(name, trust, description) {
      await send(`CreateRole ${name}`, () =>
        client.send(
          new iam.CreateRoleCommand({
            RoleName: name,
            AssumeRolePolicyDocument: JSON.stringify(trust),
            Description: description,
          }),
        ),
      );
    },
    async updateTrust(name, trust) {
      await send(`UpdateAssumeRolePolicy ${name}`, () =>
        client.send(
          new iam.UpdateAssumeRolePolicyCommand({ RoleName: name, PolicyDocument: JSON.stringify(trust) }),
        ),
      );
    },
    async getRolePolicy(role, policy) {
      const out = await read(`GetRolePolicy ${role}/${policy}`, () =>
        client.send(new iam.GetRolePolicyCommand({ RoleName: role, PolicyName: policy })),
      );
      return parseDoc(out?.PolicyDocument);
    },
    async putRolePolicy(role, policy, doc) {
      await send(`PutRolePolicy ${role}/${policy}`, () =>
        client.send(
          new iam.PutRolePolicyCommand({
            RoleName: role,
            PolicyName: policy,
            PolicyDocument: JSON.stringify(doc),
          }),
        ),
      );
    },
    close: () => client.destroy(),
  };
}
