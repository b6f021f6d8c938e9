// S3 errors as ClaasErrors a user can act on. Messages name the s3:// URL (or the endpoint URL for network
// problems) and never an access key, a secret or a signature. Works on AWS SDK v3 errors by duck typing,
// so this module does not load the SDK.

import { ClaasError } from '../errors.js';

/** What the failed request was doing: decides between "cannot read" and "cannot write". */
export type S3Op = 'read' | 'write' | 'delete' | 'list' | 'probe' | 'create-bucket';

interface SdkErrorLike {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  Code?: unknown;
  Region?: unknown;
  Endpoint?: unknown;
  errors?: unknown;
  cause?: unknown;
  $metadata?: { httpStatusCode?: number };
  $response?: { statusCode?: number; headers?: Record<string, string | undefined> };
}

function asLike(err: unknown): SdkErrorLike {
  return typeof err === 'object' && err !== null ? (err as SdkErrorLike) : {};
}

/** The S3 error code (NoSuchKey, AccessDenied, ...) or the SDK's error name. */
export function s3ErrorCode(err: unknown): string | undefined {
  const e = asLike(err);
  if (typeof e.Code === 'string') return e.Code;
  return typeof e.name === 'string' ? e.name : undefined;
}

export function httpStatus(err: unknown): number | undefined {
  const e = asLike(err);
  return e.$metadata?.httpStatusCode ?? e.$response?.statusCode;
}

/** Node's system error codes anywhere in the error, its AggregateError members or its causes. */
export function networkCodes(err: unknown, depth = 0): string[] {
  const e = asLike(err);
  const codes: string[] = [];
  if (typeof e.code === 'string') codes.push(e.code);
  if (depth < 4) {
    if (Array.isArray(e.errors)) for (const inner of e.errors) codes.push(...networkCodes(inner, depth + 1));
    if (e.cause !== undefined) codes.push(...networkCodes(e.cause, depth + 1));
  }
  return codes;
}

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'ECONNRESET',
  'EPIPE',
  'ECONNABORTED',
  'CERT_HAS_EXPIRED',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function isNetworkError(err: unknown): boolean {
  const e = asLike(err);
  if (networkCodes(err).some((c) => UNREACHABLE_CODES.has(c))) return true;
  if (e.name === 'TimeoutError' || e.name === 'RequestTimeout') return httpStatus(err) === undefined;
  return typeof e.message === 'string' && /socket hang up/i.test(e.message);
}

export function isAbortError(err: unknown): boolean {
  const e = asLike(err);
  return e.name === 'AbortError' || e.code === 'ABORT_ERR';
}

const NOT_FOUND_CODES = new Set(['NoSuchKey', 'NotFound']);

/** True for "this object is not there" (404 on GET or HEAD), not for a missing bucket. */
export function isMissingObject(err: unknown): boolean {
  const code = s3ErrorCode(err);
  if (code === 'NoSuchBucket') return false;
  return (code !== undefined && NOT_FOUND_CODES.has(code)) || httpStatus(err) === 404;
}

const RETRYABLE_CODES = new Set([
  'SlowDown',
  'RequestTimeout',
  'RequestTimeTooSkewed',
  'InternalError',
  'ServiceUnavailable',
  'Throttling',
  'ThrottlingException',
  'RequestTimeoutException',
  'TimeoutError',
]);

/** Worth trying again: 5xx, throttling, timeouts and dropped connections; never a 4xx auth error. */
export function isRetryable(err: unknown): boolean {
  if (isAbortError(err)) return false;
  const code = s3ErrorCode(err);
  if (code !== undefined && RETRYABLE_CODES.has(code)) return true;
  const status = httpStatus(err);
  if (status !== undefined && status >= 500) return true;
  if (status === 429) return true;
  if (status !== undefined && status >= 400) return false;
  const net = networkCodes(err);
  if (net.some((c) => c === 'ECONNRESET' || c === 'EPIPE' || c === 'ETIMEDOUT' || c === 'ECONNABORTED')) {
    return true;
  }
  const message = asLike(err).message;
  return typeof message === 'string' && /socket hang up/i.test(message);
}

/** The region S3 says the bucket is in, when the response tells it. */
function regionHintOf(err: unknown): string | undefined {
  const e = asLike(err);
  const header = e.$response?.headers?.['x-amz-bucket-region'];
  if (typeof header === 'string' && header !== '') return header;
  if (typeof e.Region === 'string' && e.Region !== '') return e.Region;
  const message = typeof e.message === 'string' ? e.message : '';
  return /expecting '([a-z0-9-]+)'/.exec(message)?.[1];
}

/**
 * What the ClaasError keeps of the SDK error. Not the error itself: S3's SignatureDoesNotMatch body carries
 * the access key id, the string to sign and the canonical request, and the SDK copies every body field
 * onto the error, where a logger serializing `cause` would print them.
 */
function safeCause(err: unknown, code: string | undefined, status: number | undefined): Error {
  const e = asLike(err);
  const net = networkCodes(err);
  const authLike = code !== undefined && /Signature|AccessKey|Token|Credential/i.test(code);
  const message =
    typeof e.message === 'string' && !authLike ? e.message.replace(/AKIA[0-9A-Z]{12,}/g, '***') : '';
  const text = [code ?? 'Error', status === undefined ? '' : `HTTP ${status}`, net[0] ?? '', message]
    .filter((part) => part !== '')
    .join(': ');
  return Object.assign(new Error(text), {
    name: code ?? 'Error',
    ...(net[0] === undefined ? {} : { code: net[0] }),
    ...(status === undefined ? {} : { $metadata: { httpStatusCode: status } }),
  });
}

/** The S3 (or IAM) error code behind an error: an SDK error's own, or the one a mapped ClaasError keeps. */
export function underlyingCode(err: unknown): string | undefined {
  return s3ErrorCode(err instanceof ClaasError ? err.cause : err);
}

/** The HTTP status behind an error: an SDK error's own, or the one a mapped ClaasError keeps. */
export function underlyingStatus(err: unknown): number | undefined {
  return httpStatus(err instanceof ClaasError ? err.cause : err);
}

const CREDENTIALS_HINT =
  'Check the AWS profile (--profile, AWS_PROFILE) or the AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY ' +
  'environment variables, and that the key is active for this endpoint.';

/**
 * Turns an S3 or network error into a ClaasError.
 * @param op what the request did ('write' and 'delete' give "can read but not write" for AccessDenied)
 * @param url the s3:// URL of the bucket/prefix or object
 * @param endpoint the endpoint URL, named for network errors (default: AWS S3)
 */
export function mapS3Error(err: unknown, op: S3Op, url: string, endpoint?: string): ClaasError {
  if (err instanceof ClaasError) return err;
  const code = s3ErrorCode(err);
  const status = httpStatus(err);
  const cause = { cause: safeCause(err, code, status) };
  const where = endpoint ?? 'AWS S3';

  if (code === 'CredentialsProviderError' || code === 'ProviderError') {
    return new ClaasError('AUTH', `No AWS credentials were found for ${url}`, {
      input: url,
      hint: CREDENTIALS_HINT,
      ...cause,
    });
  }
  if (
    code === 'InvalidAccessKeyId' ||
    code === 'SignatureDoesNotMatch' ||
    code === 'InvalidToken' ||
    code === 'ExpiredToken' ||
    code === 'TokenRefreshRequired'
  ) {
    return new ClaasError('AUTH', `The credentials for ${url} were rejected (${code})`, {
      input: url,
      hint: CREDENTIALS_HINT,
      ...cause,
    });
  }
  if (
    code === 'PermanentRedirect' ||
    code === 'AuthorizationHeaderMalformed' ||
    code === 'IllegalLocationConstraintException' ||
    status === 301
  ) {
    const region = regionHintOf(err);
    return new ClaasError(
      'BAD_INPUT',
      `Wrong region for ${url}` + (region === undefined ? '' : `: the bucket is in ${region}`),
      {
        input: url,
        hint:
          region === undefined
            ? 'Give the bucket’s region with --region or AWS_REGION.'
            : `Use --region ${region} (or AWS_REGION=${region}).`,
        ...cause,
      },
    );
  }
  if (code === 'NoSuchBucket') {
    return new ClaasError('NOT_FOUND', `The bucket of ${url} does not exist`, {
      input: url,
      hint: 'Check the bucket name, endpoint and region, or pass --create-bucket to create it.',
      ...cause,
    });
  }
  if (code === 'NoSuchKey' || code === 'NotFound' || status === 404) {
    return new ClaasError('NOT_FOUND', `${url} does not exist`, { input: url, ...cause });
  }
  if (code === 'NoSuchUpload') {
    return new ClaasError('CONFLICT', `The multipart upload of ${url} no longer exists`, {
      input: url,
      hint: 'Run the command again; the upload starts over.',
      ...cause,
    });
  }
  if (code === 'AccessDenied' || code === 'AllAccessDisabled' || code === 'Forbidden' || status === 403) {
    if (op === 'create-bucket') {
      return new ClaasError('FORBIDDEN', `This credential may not create the bucket of ${url}`, {
        input: url,
        hint: 'Create the bucket with an account that may (s3:CreateBucket), or use an existing bucket.',
        ...cause,
      });
    }
    const writing = op === 'write' || op === 'delete';
    return new ClaasError(
      'FORBIDDEN',
      writing ? `This credential can read but not write ${url}` : `This credential cannot read ${url}`,
      {
        input: url,
        hint: writing
          ? 'Publishing needs s3:PutObject, s3:DeleteObject and s3:ListBucket (and the multipart actions); ' +
            'a subscriber credential is read-only by design. (A credential without read access gets this too.)'
          : 'Reading needs s3:GetObject and s3:ListBucket on the bucket and prefix (a bucket policy or IAM policy).',
        ...cause,
      },
    );
  }
  if (code === 'InvalidRange' || status === 416) {
    return new ClaasError('BAD_INPUT', `The requested range is outside ${url}`, { input: url, ...cause });
  }
  if (code === 'InvalidBucketName') {
    return new ClaasError('BAD_INPUT', `The bucket name of ${url} is not valid here`, {
      input: url,
      ...cause,
    });
  }
  if (code === 'BadDigest' || code === 'InvalidDigest' || code === 'XAmzContentSHA256Mismatch') {
    return new ClaasError('INTEGRITY', `The bytes sent to ${url} did not match their checksum (${code})`, {
      input: url,
      hint: 'Run the command again; a persistent mismatch means the file changes while it is uploaded.',
      ...cause,
    });
  }
  if (status === undefined && isNetworkError(err)) {
    const net = networkCodes(err)[0] ?? (asLike(err).name as string | undefined) ?? 'network error';
    return new ClaasError('UNREACHABLE', `Cannot reach the S3 endpoint ${where} for ${url} (${net})`, {
      input: endpoint ?? url,
      hint: 'Check the endpoint URL (--endpoint, AWS_ENDPOINT_URL_S3), the network and that the server is up.',
      ...cause,
    });
  }
  if (status !== undefined && status >= 500) {
    return new ClaasError('UNREACHABLE', `The S3 endpoint ${where} failed for ${url} (${code ?? status})`, {
      input: endpoint ?? url,
      hint: 'The server had a problem; try again later.',
      ...cause,
    });
  }
  return new ClaasError('PROTOCOL', `S3 request for ${url} failed: ${cause.cause.message}`, {
    input: url,
    ...cause,
  });
}

/**
 * Any other AWS API error (STS, IAM) as a ClaasError: what failed, the error code and status (kept in the
 * cause, as mapS3Error does), never a credential.
 */
export function mapAwsError(err: unknown, what: string, endpoint?: string): ClaasError {
  if (err instanceof ClaasError) return err;
  const code = s3ErrorCode(err);
  const status = httpStatus(err);
  const cause = safeCause(err, code, status);
  const options = { input: endpoint ?? what, cause };
  if (code === 'CredentialsProviderError' || code === 'ProviderError') {
    return new ClaasError('AUTH', `No AWS credentials were found for ${what}`, {
      ...options,
      hint: CREDENTIALS_HINT,
    });
  }
  if (code !== undefined && /Signature|AccessKey|ClientTokenId|ExpiredToken|InvalidToken/.test(code)) {
    return new ClaasError('AUTH', `The credentials were rejected by ${what} (${code})`, {
      ...options,
      hint: CREDENTIALS_HINT,
    });
  }
  if (code === 'AccessDenied' || status === 403) {
    return new ClaasError('FORBIDDEN', `This credential may not call ${what}`, options);
  }
  if (status === undefined && isNetworkError(err)) {
    return new ClaasError('UNREACHABLE', `Cannot reach ${endpoint ?? 'AWS'} for ${what}`, options);
  }
  return new ClaasError('PROTOCOL', `${what} failed: ${cause.message}`, options);
}
