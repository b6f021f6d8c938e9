// The configured S3 client: standard credential chain, region, endpoint, retries, connection pool, a
// watchdog for stores that stop answering (s3-watchdog.ts), and the settings S3-compatible servers (Ceph
// RGW, MinIO, R2, ...) need that AWS does not.

import { createHash } from 'node:crypto';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { awsCredentials, awsS3, smithyHttp } from './aws-sdk.js';
import { DEFAULT_REGION, endpointDisplay, isAwsEndpoint } from './endpoints.js';
import { StoreWatchdog } from './s3-watchdog.js';

const { S3Client } = awsS3;
type S3Client = InstanceType<typeof S3Client>;
const { fromNodeProviderChain } = awsCredentials;
const { NodeHttpHandler } = smithyHttp;

export interface S3ClientSettings {
  /** Endpoint URL of an S3-compatible store; undefined = AWS. */
  endpoint?: string;
  /** Default: us-east-1. */
  region?: string;
  /** AWS shared config profile for the default credential chain. */
  profile?: string;
  /** Explicit credentials instead of the default chain (tests, tenants' read-only keys). */
  credentials?: S3ClientConfig['credentials'];
  /** Sockets per agent; at least the number of requests that run at once. Default 64. */
  maxSockets?: number;
  /** SDK attempts per request (standard retry mode). Default 5. */
  maxAttempts?: number;
  /** Milliseconds to wait for a TCP connection. Default 10 s. */
  connectionTimeoutMs?: number;
  /** Milliseconds a request may sit without socket activity. Default 120 s. */
  requestTimeoutMs?: number;
  /** Object writes carry the canned ACL bucket-owner-full-control (writing into another owner's bucket). */
  bucketOwnerFullControl?: boolean;
}

/**
 * The AWS SDK (v3) prints a NodeVersionSupportWarning through process.emitWarning() the first time a client
 * is configured on Node < 22 (@aws-sdk/core's emitWarningIfUnsupportedVersion, called from each client's
 * runtimeConfig). claas supports Node 20 with its SDK versions pinned in the lock file, so the warning is
 * noise on every command. The narrowest switch is the SDK's own opt-out, checked right there:
 * AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true. It is set only on Node < 22 and only when the user
 * has not set it; other warnings (and process.emitWarning) are untouched.
 */
export function suppressSdkNodeVersionWarning(): void {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 22 && process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED === undefined) {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  }
}

/** Middleware name; exported for tests. */
export const CONTENT_MD5 = 'claasContentMd5';

interface SerializedRequest {
  headers: Record<string, string>;
  body?: unknown;
}

/** Requests S3 refuses without an integrity header. */
const MD5_COMMANDS = new Set(['DeleteObjectsCommand', 'PutBucketLifecycleConfigurationCommand']);

/**
 * DeleteObjects and PutBucketLifecycleConfiguration must carry an integrity header. With request checksums
 * WHEN_REQUIRED the SDK's flexible checksum (CRC32) is what AWS accepts; older S3-compatible servers (Ceph
 * RGW 16) only know Content-MD5, which this middleware adds on clients for S3-compatible endpoints.
 */
function contentMd5(client: S3Client): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const request = (args as { request?: SerializedRequest }).request;
      if (MD5_COMMANDS.has(context.commandName ?? '') && request !== undefined) {
        const body = request.body;
        if (typeof body === 'string' || body instanceof Uint8Array) {
          request.headers['content-md5'] = createHash('md5').update(body).digest('base64');
        }
      }
      return next(args);
    },
    { step: 'build', name: CONTENT_MD5, priority: 'low' },
  );
}

/** Middleware name; exported for tests. */
export const BUCKET_OWNER_ACL = 'claasBucketOwnerFullControl';

const OWNER_ACL_COMMANDS = new Set(['PutObjectCommand', 'CreateMultipartUploadCommand', 'CopyObjectCommand']);

/**
 * Adds `x-amz-acl: bucket-owner-full-control` to every object write, so that objects written into another
 * owner's bucket are readable by that owner (S3 with ACLs enabled, Ceph RGW). On AWS buckets with Object
 * Ownership "bucket owner enforced" this ACL is the one that is accepted.
 */
function bucketOwnerFullControl(client: S3Client): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const request = (args as { request?: SerializedRequest }).request;
      if (request !== undefined && OWNER_ACL_COMMANDS.has(context.commandName ?? '')) {
        request.headers['x-amz-acl'] = 'bucket-owner-full-control';
      }
      return next(args);
    },
    { step: 'build', name: BUCKET_OWNER_ACL, priority: 'low' },
  );
}

/** Middleware name; exported for tests. */
export const SIGNED_PAYLOAD = 'claasSignedPayloadHash';

/** SHA-256 (hex) of upload bodies claas has hashed already, by body: see signedPayloadHash. */
const payloadHashes = new WeakMap<Uint8Array, string>();

/**
 * Declares the SHA-256 of a body claas is about to upload (a part or a small object), computed while it
 * was read. The request is then signed with that hash as its payload hash (SigV4's x-amz-content-sha256),
 * and the server refuses the request when the bytes it received have another SHA-256: the integrity check
 * of every upload, one hash per byte (MD5 for Content-MD5 would be a second, slower one).
 */
export function declarePayloadSha256(body: Uint8Array, sha256Hex: string): void {
  payloadHashes.set(body, sha256Hex);
}

function signedPayloadHash(client: S3Client): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const request = (args as { request?: SerializedRequest }).request;
      const body = (args.input as { Body?: unknown }).Body;
      const name = context.commandName;
      const hash = body instanceof Uint8Array ? payloadHashes.get(body) : undefined;
      if (
        request !== undefined &&
        hash !== undefined &&
        (name === 'UploadPartCommand' || name === 'PutObjectCommand')
      ) {
        request.headers['x-amz-content-sha256'] = hash;
      }
      return next(args);
    },
    { step: 'build', name: SIGNED_PAYLOAD, priority: 'low' },
  );
}

/** Middleware name; exported for tests. */
export const WATCHDOG = 'claasStoreWatchdog';

/** Every command (all its attempts) and each attempt run under the client's watchdog: see s3-watchdog.ts. */
function addWatchdog(client: S3Client, watchdog: StoreWatchdog): void {
  client.middlewareStack.add(
    (next, context) => (args) =>
      watchdog.run(context.commandName ?? 'request', args, next as never) as ReturnType<typeof next>,
    { step: 'initialize', name: WATCHDOG, priority: 'high' },
  );
  client.middlewareStack.add(
    (next) => (args) => watchdog.attempt(args, next as never) as ReturnType<typeof next>,
    { step: 'deserialize', name: `${WATCHDOG}Attempt`, priority: 'low' },
  );
}

export function createS3Client(settings: S3ClientSettings): S3Client {
  suppressSdkNodeVersionWarning();
  const maxSockets = settings.maxSockets ?? 64;
  const aws = isAwsEndpoint(settings.endpoint);
  const watchdog = new StoreWatchdog(endpointDisplay(settings.endpoint, settings.region ?? DEFAULT_REGION));
  const config: S3ClientConfig = {
    region: settings.region ?? DEFAULT_REGION,
    credentials: settings.credentials ?? fromNodeProviderChain({ profile: settings.profile }),
    retryMode: 'standard',
    maxAttempts: settings.maxAttempts ?? 5,
    requestHandler: new NodeHttpHandler({
      connectionTimeout: settings.connectionTimeoutMs ?? 10_000,
      // An idle socket fails the attempt (smithy's requestTimeout is a total time that only warns).
      socketTimeout: settings.requestTimeoutMs ?? 120_000,
      httpAgent: watchdog.watchAgent(new HttpAgent({ keepAlive: true, maxSockets })),
      httpsAgent: watchdog.watchAgent(new HttpsAgent({ keepAlive: true, maxSockets })),
    }),
  };
  if (settings.endpoint !== undefined) {
    config.endpoint = settings.endpoint;
    if (!aws) {
      config.forcePathStyle = true;
      config.requestChecksumCalculation = 'WHEN_REQUIRED';
      config.responseChecksumValidation = 'WHEN_REQUIRED';
    }
  }
  const client = new S3Client(config);
  if (!aws) contentMd5(client);
  signedPayloadHash(client);
  if (settings.bucketOwnerFullControl === true) bucketOwnerFullControl(client);
  addWatchdog(client, watchdog);
  return client;
}
