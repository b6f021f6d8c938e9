// Test helpers: one HTTP(S) request with the path sent as is (fetch would resolve "%2e%2e"), and the
// Basic credentials header value.

import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';

export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * One request on a fresh connection with the path sent as is (no normalisation); `ca` trusts a certificate
 * for https bases, `localAddress` picks the client address.
 */
export function http(
  base: string,
  path: string,
  o: { method?: string; headers?: Record<string, string>; ca?: Buffer; localAddress?: string } = {},
): Promise<HttpResult> {
  const url = new URL(base);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      {
        host: url.hostname,
        port: url.port,
        path,
        method: o.method ?? 'GET',
        headers: o.headers ?? {},
        agent: false,
        ...(o.ca === undefined ? {} : { ca: o.ca }),
        ...(o.localAddress === undefined ? {} : { localAddress: o.localAddress }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** The Authorization header value for Basic credentials (user `vcsp` unless told). */
export const basic = (password: string, user = 'vcsp'): string =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
