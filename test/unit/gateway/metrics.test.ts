// The Prometheus text exposition format: HELP and TYPE lines, sorted and escaped labels, counters and
// gauges computed at scrape time; and the gateway's own metric families.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetricsRegistry, escapeLabelValue, formatLabels } from '../../../src/util/prometheus.js';
import { GatewayMetrics } from '../../../src/gateway/multi/gateway-metrics.js';
import { LibraryReplicas } from '../../../src/gateway/multi/replicas.js';
import { FsStore } from '../../../src/store/fs.js';
import { snapshot } from './fixtures.js';

test('text format: HELP, TYPE, labels sorted and escaped, one sample per line', () => {
  const r = new MetricsRegistry();
  const c = r.counter('claas_test_bytes_total', 'Bytes.\nSecond line \\ backslash');
  c.inc({ tenant: 'a"b', library: 'lib\\x' }, 10);
  c.inc({ library: 'lib\\x', tenant: 'a"b' }, 5);
  c.inc({ tenant: 'new\nline', library: 'l' });
  c.inc({}, -3); // counters never go down
  const g = r.gauge('claas_test_up', 'Up.');
  r.onCollect(() => g.set({ replica: 'west' }, 1));
  const text = r.render();
  assert.equal(
    text,
    [
      '# HELP claas_test_bytes_total Bytes.\\nSecond line \\\\ backslash',
      '# TYPE claas_test_bytes_total counter',
      'claas_test_bytes_total{library="lib\\\\x",tenant="a\\"b"} 15',
      'claas_test_bytes_total{library="l",tenant="new\\nline"} 1',
      '# HELP claas_test_up Up.',
      '# TYPE claas_test_up gauge',
      'claas_test_up{replica="west"} 1',
      '',
    ].join('\n'),
  );
  assert.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
  assert.equal(formatLabels({}), '');
  assert.throws(() => r.counter('bad name', 'x'));
  assert.throws(() => r.counter('claas_test_up', 'twice'));
  // Every sample line matches the exposition grammar.
  for (const line of text.trim().split('\n')) {
    assert.match(
      line,
      /^(# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*|[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? -?[0-9.e+]+|NaN)$/,
    );
  }
});

test('gateway metrics: replica up, complete version, lag, served version, bytes per tenant', async () => {
  let now = Date.parse('2026-01-01T00:10:00Z');
  const held: Record<string, { lib: number; complete: number }> = {
    west: { lib: 3, complete: 2 },
    origin: { lib: 3, complete: 3 },
  };
  const lib = new LibraryReplicas(
    'templates',
    [
      { name: 'west', store: new FsStore('/nonexistent/west') },
      { name: 'origin', store: new FsStore('/nonexistent/origin') },
    ],
    {
      now: () => now,
      prober: async (store) => {
        const h = held[store.display.endsWith('west') ? 'west' : 'origin']!;
        return {
          libVersion: h.lib,
          complete: {
            version: h.complete,
            snapshot: snapshot(h.complete),
          },
        };
      },
    },
  );
  await lib.start();
  lib.stop();
  const m = new GatewayMetrics({ libraries: () => [lib], tenantCount: () => 2 });
  m.bytes.inc({ tenant: 'acme', library: 'templates', replica: 'west' }, 1234);
  m.authFailures.inc({ reason: 'bad_password' });
  now += 0;
  const text = m.render();
  assert.match(
    text,
    /^claas_gateway_bytes_served_total\{library="templates",replica="west",tenant="acme"\} 1234$/m,
  );
  assert.match(text, /^claas_gateway_auth_failures_total\{reason="bad_password"\} 1$/m);
  assert.match(text, /^claas_gateway_replica_up\{library="templates",replica="west"\} 1$/m);
  assert.match(text, /^claas_gateway_replica_complete_version\{library="templates",replica="west"\} 2$/m);
  assert.match(text, /^claas_gateway_replica_lag_versions\{library="templates",replica="west"\} 1$/m);
  assert.match(text, /^claas_gateway_replica_lag_versions\{library="templates",replica="origin"\} 0$/m);
  // Version 3 was committed at 00:03; it is 00:10 now.
  assert.match(text, /^claas_gateway_replica_lag_seconds\{library="templates",replica="west"\} 420$/m);
  assert.match(text, /^claas_gateway_served_version\{library="templates",replica="west"\} 2$/m);
  assert.match(text, /^claas_gateway_tenants 2$/m);
  assert.match(text, /^# TYPE claas_gateway_replica_lag_seconds gauge$/m);
});
