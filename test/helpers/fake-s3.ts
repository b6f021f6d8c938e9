// A local HTTP server standing in for an S3 endpoint in unit tests: it records every request and answers
// what the test says (default 200 with an empty XML body), so that tests see what the real SDK sends.

import { createServer } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface FakeAnswer {
  status?: number;
  body?: string;
}

/** Runs fn with the endpoint URL of a fake S3 and the requests it has seen so far. */
export async function withFakeS3(
  fn: (endpoint: string, seen: SeenRequest[]) => Promise<void>,
  answer: (req: SeenRequest) => FakeAnswer = () => ({}),
): Promise<void> {
  const seen: SeenRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: SeenRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      seen.push(r);
      const a = answer(r);
      res.statusCode = a.status ?? 200;
      res.setHeader('content-type', 'application/xml');
      res.end(a.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}
