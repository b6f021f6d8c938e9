// Facts about S3 endpoints that need no SDK: the default region, whether an endpoint is AWS's own, and
// the endpoint as messages name it. Kept apart from s3-client.ts so that configuration code can use them
// without loading the AWS SDK.

export const DEFAULT_REGION = 'us-east-1';

/** True for AWS's own endpoints (or no endpoint = AWS). */
export function isAwsEndpoint(endpoint: string | undefined): boolean {
  if (endpoint === undefined) return true;
  try {
    const host = new URL(endpoint).hostname.toLowerCase();
    return host === 'amazonaws.com' || host.endsWith('.amazonaws.com') || host.endsWith('.amazonaws.com.cn');
  } catch {
    return false;
  }
}

/** The endpoint URL for messages: the configured one, or AWS's regional endpoint. */
export function endpointDisplay(endpoint: string | undefined, region: string | undefined): string {
  return endpoint ?? `https://s3.${region ?? DEFAULT_REGION}.amazonaws.com`;
}
