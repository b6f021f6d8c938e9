// Configuration texts shared by the config, replicate and access tests: the examples of the replication and
// gateway issues exactly as written there, and an AWS configuration with every native replication feature.

import { parseConfig } from '../../../src/config/load.js';
import type { ClaasConfig } from '../../../src/config/schema.js';

/** The replication issue's example, as written. */
export const ISSUE_4_EXAMPLE = `library: templates
origin:
  location: s3://templates-east/lib
  endpoint: http://127.0.0.1:7480
  region: us-east-1
  credentials: { profile: publisher }
replicas:
  - name: west
    location: s3://templates-east/lib
    endpoint: http://127.0.0.1:7481
    region: us-west-2
    mode: native
    credentials: { profile: subscriber }
  - name: client-a
    location: s3://client-a-templates/lib
    endpoint: http://127.0.0.1:7480
    region: us-east-1
    account: "123456789012"
    storageClass: ONEZONE_IA
    mode: mirror
    credentials: { profile: client-a }
`;

/** The gateway issue's addition, as written. */
export const ISSUE_5_GATEWAY = `gateway:
  listen: 127.0.0.1:8443
  prefer: [west, origin]          # replica names, nearest first
  credentials: { profile: subscriber }
  tenants: ./tenants.json         # managed by \`claas tenant\`, passwords stored hashed
`;

/** AWS: same-account cross-region replica with KMS and RTC, a cross-account replica, and a mirror. */
export const AWS_EXAMPLE = `library: templates
origin:
  location: s3://templates-us-east-1/lib
  region: us-east-1
  account: "111122223333"
  credentials: { profile: publisher }
  sse: aws:kms
  kmsKeyId: arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab
replicas:
  - name: west
    location: s3://templates-us-west-2/lib
    region: us-west-2
    mode: native
    kmsKeyId: arn:aws:kms:us-west-2:111122223333:key/5678abcd-12ab-34cd-56ef-1234567890ab
    replicationTime: true
    credentials: { profile: publisher }
  - name: client-a
    location: s3://client-a-templates/lib
    region: eu-west-1
    account: "123456789012"
    storageClass: ONEZONE_IA
    kmsKeyId: arn:aws:kms:eu-west-1:123456789012:key/9999abcd-12ab-34cd-56ef-1234567890ab
    mode: native
    credentials: { profile: client-a }
  - name: archive
    location: s3://templates-archive/lib
    region: us-east-2
    storageClass: DEEP_ARCHIVE
    mode: mirror
`;

/** A bucket-root library on AWS, no origin account, one cross-account replica, no encryption. */
export const AWS_ROOT_EXAMPLE = `library: isos
origin:
  location: s3://isos-origin
  region: us-east-1
replicas:
  - name: eu
    location: s3://isos-eu
    region: eu-central-1
    account: "210987654321"
    storageClass: STANDARD_IA
    mode: native
    credentials: { profile: eu-owner }
`;

/** AWS_ROOT_EXAMPLE with its replica in the origin's account (a root library may not have a client's). */
export const AWS_ROOT_SAME_ACCOUNT_EXAMPLE = AWS_ROOT_EXAMPLE.replace('    account: "210987654321"\n', '');

export function config(text: string, file = '/etc/claas/claas.yaml'): ClaasConfig {
  return parseConfig(text, file);
}
