// kill -9 of `claas run` in the middle of a publish, then a restart: the origin is reached through a proxy
// that forwards everything but, during the first run, holds every upload request of the large file after
// its first part (a link that stopped moving), so the kill lands deterministically while a multipart
// upload is unfinished with a part done. Checked: the library stays at the previous version until the
// restart commits; the restart resumes the upload without sending the finished part again (the proxy
// sees every request it sends); the version that appears verifies byte for byte (`claas verify --deep`).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListMultipartUploadsCommand, ListPartsCommand } from '@aws-sdk/client-s3';
import {
  cephSkip,
  createBucket,
  deleteBucket,
  endpointOf,
  makeS3Client,
  uniqueBucketName,
  waitFor,
} from '../../helpers/ceph.js';
import { awsProfilesEnv } from '../../helpers/aws-profiles.js';
import { isolatedEnv, runCli } from '../../helpers/cli.js';
import { startFaultProxy } from '../../helpers/fault-proxy.js';
import type { FaultProxy } from '../../helpers/fault-proxy.js';
import { randomFile, writeItem } from '../replicate/fixture.js';
import { killAllRuns, readLibrary, runYaml, startRun } from './run-helpers.js';

const skip = cephSkip();
/** Bounds of the waits (never asserted as durations). */
const STEP_MS = 300_000;
const BIG_FILE = 'disk.vmdk';
const BIG_SIZE = 96 << 20;
/** Parts of the large file let through during the first run. */
const PARTS_LET_THROUGH = 1;

let work = '';
let env: Record<string, string> = {};
let origin = '';
let proxy: FaultProxy;
/** While true, upload requests of the large file after part PARTS_LET_THROUGH are held (never answered). */
let holdLateParts = false;
/** The upload requests of the large file the proxy saw: part number (undefined: a single PUT) and bytes. */
let bigPuts: { part?: number; bytes: number }[] = [];

before(async () => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), 'claas-run-crash-'));
  env = { ...isolatedEnv(work), ...(await awsProfilesEnv(work)) };
  origin = uniqueBucketName('claas-run-crash');
  await createBucket(origin);
  proxy = await startFaultProxy({
    target: endpointOf('us-east-1'),
    schedule: (_n, req) => {
      const url = new URL(req.url ?? '/', 'http://proxy');
      if (req.method !== 'PUT' || !url.pathname.endsWith(`/${BIG_FILE}`)) return undefined;
      const partText = url.searchParams.get('partNumber');
      const part = partText === null ? undefined : Number(partText);
      const header = req.headers['x-amz-decoded-content-length'] ?? req.headers['content-length'] ?? '0';
      bigPuts.push({ ...(part === undefined ? {} : { part }), bytes: Number(header) });
      return holdLateParts && (part === undefined || part > PARTS_LET_THROUGH) ? 'hang' : undefined;
    },
  });
});

after(async () => {
  if (skip) return;
  await killAllRuns();
  await proxy?.close();
  await deleteBucket(origin);
  if (work) await rm(work, { recursive: true, force: true });
});

/** The finished parts of the unfinished upload of the large file at the origin (straight from RGW). */
async function finishedParts(): Promise<{ PartNumber?: number; Size?: number }[]> {
  const s3 = makeS3Client('publisher');
  try {
    const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: origin }));
    const upload = (uploads.Uploads ?? []).find((u) => u.Key?.endsWith(`/${BIG_FILE}`) === true);
    if (upload === undefined) return [];
    const parts = await s3.send(
      new ListPartsCommand({ Bucket: origin, Key: upload.Key, UploadId: upload.UploadId }),
    );
    return parts.Parts ?? [];
  } finally {
    s3.destroy();
  }
}

function s3Args(): string[] {
  return ['--profile', 'publisher', '--endpoint', endpointOf('us-east-1'), '--region', 'us-east-1'];
}

test(
  'kill -9 mid-publish: the previous version stays; the restart resumes without resending finished parts',
  { skip },
  async (t) => {
    const src = join(work, 'templates');
    await mkdir(src, { recursive: true });
    await writeItem(src, 'notes', 'notes.txt', 'version 1\n');
    const config = join(work, 'claas.yaml');
    await writeFile(
      config,
      runYaml({
        library: 'crash',
        originBucket: origin,
        originEndpoint: proxy.url,
        sources: [{ folder: src, interval: '1s' }],
      }),
    );
    const args = ['--config', config, '--lease-ttl', '10s'];

    const first = startRun('first', args, env);
    const v1 = await first.waitEvent('published', () => true, STEP_MS);
    assert.deepEqual(v1.added, ['notes'], JSON.stringify(v1));
    const before = await readLibrary(origin);
    assert.equal(before?.version, v1.version);

    // A large item arrives whole (written beside the folder, then moved in); its upload gets as far as
    // the first part.
    holdLateParts = true;
    const staging = join(work, 'staging', 'disk');
    await mkdir(staging, { recursive: true });
    await randomFile(join(staging, BIG_FILE), BIG_SIZE);
    await rename(staging, join(src, 'disk'));
    let done: { PartNumber?: number; Size?: number }[] = [];
    // What a subscriber saw meanwhile: lib.json, every time the upload was looked at.
    const seen = new Set<string>();
    await waitFor(
      async () => {
        seen.add((await readLibrary(origin))?.libJson ?? 'none');
        done = await finishedParts();
        return done.length >= PARTS_LET_THROUGH && proxy.counts.hang > 0;
      },
      STEP_MS,
      { intervalMs: 200, what: 'an unfinished upload of the large file with a finished part' },
    );
    await first.kill9();
    assert.equal((await first.exited()).signal, 'SIGKILL');
    assert.deepEqual(
      first.eventsOf('published').map((e) => e.version),
      [v1.version],
      'the killed run committed nothing after version 1',
    );
    // Straight from RGW: the library is still version 1, and whole.
    assert.deepEqual([...seen], [before?.libJson], 'only version 1 was ever visible during the upload');
    const mid = await readLibrary(origin);
    assert.equal(mid?.libJson, before?.libJson, 'lib.json is still the previous version');
    const midVerify = await runCli(['verify', `s3://${origin}/lib`, '--json', ...s3Args()], { env });
    assert.equal(midVerify.code, 0, midVerify.stdout + midVerify.stderr);
    assert.equal(String(JSON.parse(midVerify.stdout).library.version), String(v1.version));

    const finishedNumbers = done.map((p) => p.PartNumber);
    const finishedBytes = done.reduce((n, p) => n + (p.Size ?? 0), 0);
    assert.ok(finishedBytes > 0 && finishedBytes < BIG_SIZE, `finished: ${JSON.stringify(done)}`);
    holdLateParts = false;
    bigPuts = [];

    const second = startRun('second', args, env);
    const v2 = await second.waitEvent('published', (e) => e.added.includes('disk'), STEP_MS);
    assert.equal(v2.version, v1.version + 1, 'the next version, with nothing in between');
    const sent = bigPuts.reduce((n, p) => n + p.bytes, 0);
    assert.deepEqual(
      bigPuts.filter((p) => p.part === undefined || finishedNumbers.includes(p.part)),
      [],
      `finished parts ${JSON.stringify(finishedNumbers)} are not sent again: ${JSON.stringify(bigPuts)}`,
    );
    t.diagnostic(
      `finished before the kill: parts ${JSON.stringify(finishedNumbers)} (${finishedBytes} bytes); ` +
        `the restart sent ${bigPuts.length} requests, ${sent} bytes, parts ${JSON.stringify(bigPuts.map((p) => p.part))}`,
    );
    assert.ok(sent < BIG_SIZE, `the restart sent ${sent} bytes of a ${BIG_SIZE}-byte file`);
    assert.ok(sent >= BIG_SIZE - finishedBytes, `the restart sent the missing parts (${sent} bytes)`);

    const after = await readLibrary(origin);
    assert.equal(after?.version, v2.version);
    assert.deepEqual(after?.items, ['disk', 'notes']);
    assert.deepEqual(after?.files.disk, [{ name: BIG_FILE, size: BIG_SIZE }]);
    const verify = await runCli(['verify', `s3://${origin}/lib`, '--deep', '--json', ...s3Args()], { env });
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    assert.equal(String(JSON.parse(verify.stdout).library.version), String(v2.version));
    await second.stop();
  },
);
