// Presigned GET URLs of an S3 store (StoreFeatures.presign), made the way the SDK's own
// @aws-sdk/s3-request-presigner makes them: a GetObject command runs through a copy of the store client's
// middleware stack, so the URL has exactly the endpoint, path-style addressing and key encoding the client
// uses, and is stopped just before it would be signed and sent; @smithy/signature-v4 (the SDK's SigV4
// signer) then signs it into the query string with the client's credential, unsigned payload, only `host`
// signed. Nothing is sent to the store. The URL is a bearer credential: errors name the s3:// URL only.

import type { S3Client } from '@aws-sdk/client-s3';
import { badInput } from '../errors.js';
import { awsS3, smithySigV4 } from './aws-sdk.js';
import { MAX_PRESIGN_SECONDS } from './types.js';
import type { PresignedUrls } from './types.js';

const { GetObjectCommand } = awsS3;
const { SignatureV4 } = smithySigV4;
/** The SDK's HTTP request, as the signer takes it. */
type HttpRequest = Parameters<InstanceType<typeof SignatureV4>['presign']>[0];

export interface PresignContext {
  client: S3Client;
  bucket: string;
  /** Key prefix of the library root with its trailing '/', or ''. */
  base: string;
  /** Turns an SDK failure (credentials that do not resolve) into a ClaasError naming the key. */
  fail(err: unknown, key: string): never;
}

/** Headers the SDK adds for its own bookkeeping; a presigned URL carries none of them (as the SDK's presigner). */
const SDK_HEADERS = ['amz-sdk-invocation-id', 'amz-sdk-request', 'x-amz-user-agent'];

/** RFC 3986 encoding of a query component (what SigV4 canonicalises to; '+' would be ambiguous). */
function encode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** The URL of a signed request. */
export function formatRequestUrl(r: HttpRequest): string {
  const query = Object.entries(r.query ?? {})
    .flatMap(([name, value]) =>
      value === null || value === undefined
        ? [encode(name)]
        : (Array.isArray(value) ? value : [value]).map((v) => `${encode(name)}=${encode(v)}`),
    )
    .join('&');
  const port = r.port === undefined || r.port === null ? '' : `:${r.port}`;
  return `${r.protocol}//${r.hostname}${port}${r.path}${query === '' ? '' : `?${query}`}`;
}

export function checkExpiry(seconds: number): void {
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_PRESIGN_SECONDS) {
    throw badInput(
      `a presigned URL must be valid for 1 to ${MAX_PRESIGN_SECONDS} seconds (7 days); got ${seconds}`,
      String(seconds),
      'SigV4 allows at most 7 days',
    );
  }
}

export function s3Presigner(ctx: PresignContext): PresignedUrls {
  const { client } = ctx;
  const signer = new SignatureV4({
    service: 's3',
    region: client.config.region,
    credentials: client.config.credentials,
    sha256: client.config.sha256,
    uriEscapePath: false, // S3 keys are encoded once, not twice
    applyChecksum: false,
  });
  return {
    async getUrl(key, expiresSeconds, options = {}) {
      checkExpiry(expiresSeconds);
      const command = new GetObjectCommand({
        Bucket: ctx.bucket,
        Key: `${ctx.base}${key}`,
        ...(options.contentType === undefined ? {} : { ResponseContentType: options.contentType }),
      });
      // The client's stack, copied, with a step that presigns the request instead of letting it be sent.
      const stack = client.middlewareStack.clone();
      const presign =
        (_next: unknown, context: { signing_region?: string; signing_service?: string }) =>
        async (args: { request: unknown }) => {
          const request = args.request as HttpRequest;
          for (const h of SDK_HEADERS) delete request.headers[h];
          request.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
          request.headers.host = `${request.hostname}${request.port === undefined ? '' : `:${request.port}`}`;
          const presigned = await signer.presign(request, {
            expiresIn: expiresSeconds,
            unsignableHeaders: new Set(['content-type']),
            ...(context.signing_region === undefined ? {} : { signingRegion: context.signing_region }),
            ...(context.signing_service === undefined ? {} : { signingService: context.signing_service }),
          });
          return { response: {}, output: { $metadata: {}, url: formatRequestUrl(presigned) } };
        };
      stack.addRelativeTo(presign as never, {
        name: 'claasPresign',
        relation: 'before',
        toMiddleware: 'awsAuthMiddleware', // the signing step, by the alias the SDK's own presigner uses
        override: true,
      });
      const handler = command.resolveMiddleware(stack, client.config, {});
      try {
        const { output } = await handler({ input: command.input });
        return (output as unknown as { url: string }).url;
      } catch (e) {
        ctx.fail(e, key);
      }
    },
  };
}
