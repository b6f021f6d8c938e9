// A fault-injecting HTTP proxy for tests: sits between claas and a real S3 endpoint (Ceph RGW) on
// 127.0.0.1 and, by a deterministic schedule, answers 503 SlowDown, resets connections in the middle
// of request or response bodies, or hangs (takes the request and never reads or answers: a store that
// stopped answering). Everything else is forwarded byte for byte (the Host header is kept, so
// SigV4 signatures stay valid).

import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault = 'slowdown' | 'reset-request' | 'reset-response' | 'internal-error' | 'hang';

export interface FaultProxyOptions {
  target: string; // http://127.0.0.1:7480
  /** Decides the fault for the n-th request (1-based) of this method; undefined = forward. */
  schedule: (n: number, req: http.IncomingMessage) => Fault | undefined;
  /** Stop injecting after this many faults. */
  maxFaults?: number;
}

export interface FaultProxy {
  url: string;
  counts: Record<Fault | 'forwarded', number>;
  close(): Promise<void>;
}

const SLOWDOWN =
  '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>';
const INTERNAL =
  '<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>';

export async function startFaultProxy(o: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(o.target);
  const counts: FaultProxy['counts'] = {
    slowdown: 0,
    'reset-request': 0,
    'reset-response': 0,
    'internal-error': 0,
    hang: 0,
    forwarded: 0,
  };
  const perMethod = new Map<string, number>();
  let faults = 0;
  const server = http.createServer((req, res) => {
    const n = (perMethod.get(req.method ?? '') ?? 0) + 1;
    perMethod.set(req.method ?? '', n);
    let fault = faults < (o.maxFaults ?? Infinity) ? o.schedule(n, req) : undefined;
    if (fault !== undefined) faults += 1;
    if (fault === 'slowdown' || fault === 'internal-error') {
      counts[fault] += 1;
      req.resume();
      req.on('end', () => {
        const body = fault === 'slowdown' ? SLOWDOWN : INTERNAL;
        res.writeHead(fault === 'slowdown' ? 503 : 500, {
          'content-type': 'application/xml',
          'content-length': Buffer.byteLength(body),
        });
        res.end(body);
      });
      return;
    }
    if (fault === 'hang') {
      counts.hang += 1;
      req.pause();
      return;
    }
    if (fault === 'reset-request') {
      counts[fault] += 1;
      let seen = 0;
      req.on('data', (d: Buffer) => {
        seen += d.length;
        if (seen > 16 * 1024) req.socket.destroy();
      });
      req.on('end', () => req.socket.destroy());
      return;
    }
    const upstream = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        if (fault === 'reset-response' && Number(up.headers['content-length'] ?? 0) > 1024) {
          counts['reset-response'] += 1;
          let sent = 0;
          up.on('data', (d: Buffer) => {
            sent += d.length;
            res.write(d);
            if (sent > 512) {
              up.destroy();
              res.socket?.destroy();
            }
          });
          return;
        }
        fault = undefined;
        counts.forwarded += 1;
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.socket?.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    counts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
