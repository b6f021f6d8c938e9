// The AWS SDK packages claas's S3 store uses, loaded with require(). They are CommonJS: importing them
// from ES modules makes Node lex their large bundles for named exports first, ~40 ms of every command's
// start (most of a no-op publish). Types still come from the packages through `import type`.

import { createRequire } from 'node:module';
import type * as ClientS3 from '@aws-sdk/client-s3';
import type * as CredentialProviders from '@aws-sdk/credential-providers';
import type * as NodeHttpHandlerModule from '@smithy/node-http-handler';
import type * as SignatureV4Module from '@smithy/signature-v4';

const require = createRequire(import.meta.url);

export const awsS3 = require('@aws-sdk/client-s3') as typeof ClientS3;
export const awsCredentials = require('@aws-sdk/credential-providers') as typeof CredentialProviders;
export const smithyHttp = require('@smithy/node-http-handler') as typeof NodeHttpHandlerModule;
/** The SDK's SigV4 signer (presigned URLs, s3-presign.ts); client-s3 has loaded it already. */
export const smithySigV4 = require('@smithy/signature-v4') as typeof SignatureV4Module;
