// A counting HTTP proxy for benchmarks: forwards every request to one S3 endpoint byte for byte (the Host
// header is kept, so SigV4 signatures stay valid) and counts requests by method, so a benchmark can say how
// many S3 requests a tool made in a period. Binds 127.0.0.1 only.

import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CountProxy {
  url: string;
  /** Requests forwarded so far, by method, and in total. */
  counts(): { total: number; byMethod: Record<string, number> };
  close(): Promise<void>;
}

export async function startCountProxy(target: string): Promise<CountProxy> {
  const to = new URL(target);
  const byMethod: Record<string, number> = {};
  let total = 0;
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
    total++;
    byMethod[req.method ?? '?'] = (byMethod[req.method ?? '?'] ?? 0) + 1;
    const out = http.request(
      {
        host: to.hostname,
        port: to.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    counts: () => ({ total, byMethod: { ...byMethod } }),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
