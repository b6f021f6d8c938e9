// `claas run --listen`: /healthz answers 200 only when every active library's sources, steps and replicas
// are fine (503 otherwise, with the problems), /metrics answers Prometheus text computed from the service
// status with label values escaped; other paths and methods are refused. A real server on 127.0.0.1:0.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { healthOf, listenRunHttp } from '../../../src/run/http.js';
import type { HealthReport } from '../../../src/run/http.js';
import { renderRunMetrics } from '../../../src/run/metrics.js';
import type { LibraryStatus, ServiceStatus, SourceStatus } from '../../../src/run/types.js';

const T0 = '2026-12-04T10:00:00.000Z';
const T1 = '2026-12-04T10:01:00.000Z';
const T2 = '2026-12-04T10:02:00.000Z';
const NOW = new Date('2026-12-04T10:05:00.000Z');

function source(over: Partial<SourceStatus> = {}): SourceStatus {
  return {
    library: 'golden',
    source: '/srv/templates',
    kind: 'folder',
    lastPollAt: T2,
    lastSuccessAt: T2,
    lastChangeAt: T1,
    polls: 12,
    pollErrors: 1,
    changesApplied: 3,
    itemsPending: 0,
    vmtx: [],
    requestsLastPoll: 0,
    ...over,
  };
}

function library(over: Partial<LibraryStatus> = {}): LibraryStatus {
  return {
    library: 'golden',
    configFile: '/etc/claas/golden.yaml',
    role: 'active',
    originVersion: 7,
    lastSyncAt: T2,
    bytesMoved: 1_048_576,
    sources: [source()],
    replicas: [
      { name: 'origin', mode: 'origin', state: 'consistent', version: 7 },
      { name: 'west', mode: 'mirror', state: 'lagging', version: 6, lagSeconds: 42 },
    ],
    ...over,
  };
}

const status = (...libraries: LibraryStatus[]): ServiceStatus => ({ startedAt: T0, libraries });

test('healthz: fine when sources polled, no step failed since the last sync, no replica broken', () => {
  const report = healthOf(status(library()));
  assert.equal(report.ok, true);
  assert.deepEqual(report.problems, []);
  assert.equal(report.libraries[0]?.library, 'golden', 'the report carries the status');
});

test('healthz: an error older than the last success is history, a newer one is a problem', () => {
  const recovered = source({ lastError: { code: 'UNREACHABLE', message: 'down', at: T1 } });
  assert.equal(healthOf(status(library({ sources: [recovered] }))).ok, true);

  const failing = source({
    source: 'vc-east library Golden',
    lastSuccessAt: T1,
    lastError: { code: 'UNREACHABLE', message: 'vCenter did not answer', at: T2 },
  });
  const report = healthOf(status(library({ sources: [source(), failing] })));
  assert.equal(report.ok, false);
  assert.deepEqual(report.problems, ['golden: source vc-east library Golden: vCenter did not answer']);

  const neverPolled = source({
    lastSuccessAt: undefined,
    lastError: { code: 'X', message: 'empty listing', at: T1 },
  });
  assert.equal(healthOf(status(library({ sources: [neverPolled] }))).ok, false);
});

test('healthz: a broken replica, a failed step or a failed archive is a problem; standby libraries do not count', () => {
  const broken = library({
    replicas: [{ name: 'west', mode: 'mirror', state: 'broken', version: 6 }],
  });
  assert.deepEqual(healthOf(status(broken)).problems, ['golden: replica west is broken']);

  const failedStep = library({
    lastError: { code: 'FORBIDDEN', message: 'publish refused', at: T2 },
    lastSyncAt: T1,
  });
  assert.deepEqual(healthOf(status(failedStep)).problems, ['golden: publish refused']);

  const archive = library({
    archive: { schedule: '0 3 1 * *', lastError: { code: 'AUTH', message: 'archive refused', at: T2 } },
  });
  assert.deepEqual(healthOf(status(archive)).problems, ['golden: archive: archive refused']);

  const standby = library({ role: 'standby', standbyFor: 'host-b', replicas: broken.replicas });
  assert.equal(healthOf(status(standby)).ok, true);
});

test('healthz: not fine while the service is starting (no library yet)', () => {
  assert.deepEqual(healthOf(status()).problems, ['claas run is starting: no library is running yet']);
});

test('metrics: every family from the status, with its values', () => {
  const text = renderRunMetrics(
    status(library({ sources: [source({ itemsPending: 2, vmtx: ['win-2022', 'rhel-9'] })] })),
    NOW,
  );
  const sample = (line: string): void => assert.ok(text.split('\n').includes(line), `${line}\nin:\n${text}`);
  const labels = 'library="golden",source="/srv/templates"';
  sample(`claas_run_polls_total{${labels}} 12`);
  sample(`claas_run_poll_errors_total{${labels}} 1`);
  sample(`claas_run_changes_applied_total{${labels}} 3`);
  sample(`claas_run_items_pending{${labels}} 2`);
  sample(`claas_run_seconds_since_last_sync{${labels}} 180`);
  sample(`claas_run_source_up{${labels}} 1`);
  sample(`claas_run_vmtx_items{${labels}} 2`);
  sample(`claas_run_vmtx_item{item="win-2022",${labels}} 1`);
  sample('claas_run_bytes_moved_total{library="golden"} 1048576');
  sample('claas_run_active{library="golden"} 1');
  sample('claas_run_origin_version{library="golden"} 7');
  sample('claas_run_replica_lag_seconds{library="golden",replica="west"} 42');
  sample('claas_run_replica_lag_seconds{library="golden",replica="origin"} 0');
  sample('claas_run_replica_state{library="golden",replica="west",state="lagging"} 1');
  sample('claas_run_replica_state{library="golden",replica="west",state="consistent"} 0');
  assert.match(text, /^# TYPE claas_run_polls_total counter$/m);
  assert.match(text, /^# TYPE claas_run_items_pending gauge$/m);
});

test('metrics: a source never polled successfully counts from the service start', () => {
  const text = renderRunMetrics(
    status(library({ sources: [source({ lastSuccessAt: undefined, polls: 0 })] })),
    NOW,
  );
  assert.match(
    text,
    /^claas_run_seconds_since_last_sync\{library="golden",source="\/srv\/templates"\} 300$/m,
  );
  assert.doesNotMatch(text, /^claas_run_source_up\{/m, 'no up/down before the first poll');
});

test('metrics: label values are escaped (backslash, quote, newline)', () => {
  const hostile = 'C:\\tmp\\"x"\nclaas_run_fake 1';
  const text = renderRunMetrics(status(library({ sources: [source({ source: hostile })] })), NOW);
  assert.ok(text.includes('source="C:\\\\tmp\\\\\\"x\\"\\nclaas_run_fake 1"'), `escaped label in:\n${text}`);
  assert.doesNotMatch(text, /^claas_run_fake/m, 'a label value cannot start a line');
});

async function withServer(current: () => ServiceStatus, fn: (url: string) => Promise<void>): Promise<void> {
  const server = await listenRunHttp({ host: '127.0.0.1', port: 0, status: current, now: () => NOW });
  try {
    assert.ok(server.port > 0);
    await fn(server.url);
  } finally {
    await server.close();
  }
}

test('server: /healthz 200 then 503 as the status changes, /metrics as text, others refused', async () => {
  let now = status(library());
  await withServer(
    () => now,
    async (url) => {
      const ok = await fetch(`${url}/healthz`);
      assert.equal(ok.status, 200);
      assert.match(ok.headers.get('content-type') ?? '', /^application\/json/);
      const body = (await ok.json()) as HealthReport;
      assert.equal(body.ok, true);
      assert.equal(body.startedAt, T0);
      assert.equal(body.libraries[0]?.sources[0]?.lastSuccessAt, T2);

      now = status(library({ replicas: [{ name: 'west', mode: 'mirror', state: 'broken' }] }));
      const failing = await fetch(`${url}/healthz`);
      assert.equal(failing.status, 503);
      assert.deepEqual(((await failing.json()) as HealthReport).problems, ['golden: replica west is broken']);

      const metrics = await fetch(`${url}/metrics`);
      assert.equal(metrics.status, 200);
      assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      assert.match(
        await metrics.text(),
        /^claas_run_replica_state\{library="golden",replica="west",state="broken"\} 1$/m,
      );

      assert.equal((await fetch(`${url}/lib.json`)).status, 404);
      const post = await fetch(`${url}/healthz`, { method: 'POST' });
      assert.equal(post.status, 405);
      assert.equal(post.headers.get('allow'), 'GET, HEAD');
      const head = await fetch(`${url}/healthz`, { method: 'HEAD' });
      assert.equal(head.status, 503);
      assert.equal(await head.text(), '');
    },
  );
});

test('server: a status that throws answers 500; a taken port is refused with a hint', async () => {
  await withServer(
    () => {
      throw new Error('not ready');
    },
    async (url) => {
      const res = await fetch(`${url}/healthz`);
      assert.equal(res.status, 500);
      assert.match(await res.text(), /not ready/);
      const port = Number(new URL(url).port);
      await assert.rejects(
        listenRunHttp({ host: '127.0.0.1', port, status: () => status() }),
        (e: Error & { code?: string; hint?: string }) =>
          e.code === 'CONFLICT' && /another process listens there/.test(e.hint ?? ''),
      );
    },
  );
});
