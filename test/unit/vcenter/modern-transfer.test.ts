// The /api flavour's update and download sessions: POST /api/content/library/item/update-session
// {library_item_id}, POST .../update-session/{id}/file with the AddSpec as the body, the PUT of the
// bytes to the upload endpoint, ?action=complete|cancel|fail, GET of the session and its files;
// POST /api/content/library/item/download-session, GET .../download-session/{id}/file,
// ?action=prepare {file_name, endpoint_type}, GET ?file_name=, the GET of the download endpoint, DELETE.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { isClaasError } from '../../../src/errors.js';
import { openDownloadSession, uploadItemFiles } from '../../../src/vcenter/index.js';
import { hasOpenssl } from '../gateway/openssl.js';
import { withModernApi } from './fake-vcenter.js';
import type { FakeVcenter } from './fake-vcenter.js';

const skip = hasOpenssl() ? false : 'openssl is not installed (the fake vCenter needs a certificate)';
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const UPDATE = '/api/content/library/item/update-session';
const DOWNLOAD = '/api/content/library/item/download-session';

function addFile(fake: FakeVcenter, name: string, data: Buffer, endpointHost: string) {
  return [
    {
      method: 'POST',
      path: `${UPDATE}/us-1/file`,
      body: {
        name,
        source_type: 'PUSH',
        size: data.length,
        checksum_info: { algorithm: 'SHA256', checksum: sha256(data) },
      },
      reply: {
        json: {
          name,
          source_type: 'PUSH',
          upload_endpoint: { uri: `https://${endpointHost}/cls/data/f-${name}/${name}` },
          bytes_transferred: 0,
          status: 'WAITING_FOR_TRANSFER',
          keep_in_storage: true,
        },
      },
    },
    {
      method: 'PUT',
      path: `/cls/data/f-${name}/${name}`,
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(data.length) },
      raw: data,
      reply: { status: 200 },
    },
  ];
}

test('/api: upload two files in one update session, then wait for it to be committed', { skip }, async () => {
  const disk = randomBytes(200_000);
  const ovf = Buffer.from('<Envelope/>');
  await withModernApi(async (api, fake) => {
    const host = new URL(fake.url).host;
    fake.expect(
      {
        method: 'POST',
        path: UPDATE,
        body: { library_item_id: 'item-1' },
        reply: { status: 201, json: 'us-1' },
      },
      ...addFile(fake, 'photon.ovf', ovf, host),
      // vCenter names itself in endpoints; the bytes still go to the server claas connected to.
      ...addFile(fake, 'photon-disk1.vmdk', disk, 'vc.example.test'),
      { method: 'POST', path: `${UPDATE}/us-1`, query: { action: 'complete' } },
      {
        method: 'GET',
        path: `${UPDATE}/us-1`,
        reply: { json: { id: 'us-1', library_item_id: 'item-1', state: 'ACTIVE', client_progress: 0 } },
      },
      {
        method: 'GET',
        path: `${UPDATE}/us-1`,
        reply: { json: { id: 'us-1', library_item_id: 'item-1', state: 'DONE', client_progress: 100 } },
      },
    );
    await uploadItemFiles(
      api,
      'item-1',
      [
        { name: 'photon.ovf', size: ovf.length, sha256: sha256(ovf), open: () => ovf },
        {
          name: 'photon-disk1.vmdk',
          size: disk.length,
          sha256: sha256(disk),
          open: () => Readable.from([disk]),
        },
      ],
      { intervalMs: 10 },
    );
  });
});

test(
  '/api: a failed PUT cancels the update session; a session in ERROR reports the reason',
  { skip },
  async () => {
    const data = Buffer.from('abc');
    await withModernApi(async (api, fake) => {
      const host = new URL(fake.url).host;
      const [add, put] = addFile(fake, 'a.txt', data, host);
      fake.expect(
        {
          method: 'POST',
          path: UPDATE,
          body: { library_item_id: 'item-1' },
          reply: { status: 201, json: 'us-1' },
        },
        add!,
        {
          ...put!,
          reply: { status: 500, json: { error_type: 'ERROR', messages: [{ default_message: 'disk full' }] } },
        },
        { method: 'POST', path: `${UPDATE}/us-1`, query: { action: 'cancel' } },
        {
          method: 'POST',
          path: UPDATE,
          body: { library_item_id: 'item-1' },
          reply: { status: 201, json: 'us-1' },
        },
        add!,
        put!,
        { method: 'POST', path: `${UPDATE}/us-1`, query: { action: 'complete' } },
        {
          method: 'GET',
          path: `${UPDATE}/us-1`,
          reply: {
            json: {
              id: 'us-1',
              state: 'ERROR',
              error_message: { default_message: 'checksum mismatch', id: 'x', args: [] },
            },
          },
        },
      );
      const files = [{ name: 'a.txt', size: data.length, sha256: sha256(data), open: () => data }];
      await assert.rejects(uploadItemFiles(api, 'item-1', files), (e: unknown) =>
        /disk full/.test((e as Error).message),
      );
      await assert.rejects(uploadItemFiles(api, 'item-1', files, { intervalMs: 10 }), (e: unknown) => {
        assert.ok(isClaasError(e, 'INTEGRITY'));
        assert.match((e as Error).message, /ERROR\): checksum mismatch/);
        return true;
      });
    });
  },
);

test('/api: update session file and session calls', { skip }, async () => {
  await withModernApi(async (api, fake) => {
    const info = { name: 'a b.txt', source_type: 'PUSH', size: 3, bytes_transferred: 3, status: 'READY' };
    fake.expect(
      { method: 'GET', path: `${UPDATE}/us-1/file/a%20b.txt`, reply: { json: info } },
      { method: 'GET', path: `${UPDATE}/us-1/file`, reply: { json: [info] } },
      {
        method: 'POST',
        path: `${UPDATE}/us-1`,
        query: { action: 'fail' },
        body: { client_error_message: 'source vanished' },
      },
      { method: 'DELETE', path: `${UPDATE}/us-1` },
      {
        method: 'POST',
        path: `${UPDATE}/us-2/file`,
        body: {
          name: 'b.iso',
          source_type: 'PULL',
          source_endpoint: { uri: 'https://gw.example.com/b.iso' },
        },
        reply: {
          json: {
            name: 'b.iso',
            source_type: 'PULL',
            source_endpoint: { uri: 'https://gw.example.com/b.iso' },
            bytes_transferred: 0,
            status: 'TRANSFERRING',
          },
        },
      },
    );
    const expected = { name: 'a b.txt', status: 'READY', size: 3, bytesTransferred: 3 };
    assert.deepEqual(await api.getUpdateFile('us-1', 'a b.txt'), expected);
    assert.deepEqual(await api.listUpdateFiles('us-1'), [expected]);
    await api.endUpdateSession('us-1', 'fail', 'source vanished');
    await api.deleteUpdateSession('us-1');
    const pulled = await api.addUpdateFile('us-2', {
      name: 'b.iso',
      sourceType: 'PULL',
      sourceUri: 'https://gw.example.com/b.iso',
    });
    assert.equal(pulled.status, 'TRANSFERRING');
  });
});

const createDownload = {
  method: 'POST',
  path: DOWNLOAD,
  body: { library_item_id: 'item-1' },
  reply: { status: 201, json: 'ds-1' },
};

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

test(
  '/api: download session: files, prepare, wait until PREPARED, stream, length check, delete',
  { skip },
  async () => {
    const disk = randomBytes(100_000);
    await withModernApi(async (api, fake) => {
      const endpoint = `${fake.url}/cls/data/dl-1/photon-disk1.vmdk`;
      fake.expect(
        {
          method: 'GET',
          path: '/api/content/library/item/item-1/file',
          reply: {
            json: [
              { name: 'photon-disk1.vmdk', size: disk.length, cached: true, version: '1' },
              { name: 'short.txt', size: 10 },
            ],
          },
        },
        createDownload,
        {
          method: 'GET',
          path: `${DOWNLOAD}/ds-1/file`,
          reply: { json: [{ name: 'photon-disk1.vmdk', status: 'UNPREPARED', bytes_transferred: 0 }] },
        },
        {
          method: 'POST',
          path: `${DOWNLOAD}/ds-1/file`,
          query: { action: 'prepare' },
          body: { file_name: 'photon-disk1.vmdk', endpoint_type: 'HTTPS' },
          reply: { json: { name: 'photon-disk1.vmdk', status: 'PREPARE_REQUESTED', bytes_transferred: 0 } },
        },
        {
          method: 'GET',
          path: `${DOWNLOAD}/ds-1/file`,
          query: { file_name: 'photon-disk1.vmdk' },
          reply: { json: { name: 'photon-disk1.vmdk', status: 'PREPARING', bytes_transferred: 0 } },
        },
        {
          method: 'GET',
          path: `${DOWNLOAD}/ds-1/file`,
          query: { file_name: 'photon-disk1.vmdk' },
          reply: {
            json: {
              name: 'photon-disk1.vmdk',
              status: 'PREPARED',
              size: disk.length,
              bytes_transferred: 0,
              download_endpoint: { uri: endpoint },
            },
          },
        },
        { method: 'GET', path: '/cls/data/dl-1/photon-disk1.vmdk', reply: { raw: disk } },
        {
          method: 'POST',
          path: `${DOWNLOAD}/ds-1/file`,
          query: { action: 'prepare' },
          body: { file_name: 'short.txt', endpoint_type: 'HTTPS' },
          reply: {
            json: {
              name: 'short.txt',
              status: 'PREPARED',
              download_endpoint: { uri: `${fake.url}/cls/data/dl-1/short.txt` },
            },
          },
        },
        { method: 'GET', path: '/cls/data/dl-1/short.txt', reply: { raw: 'only 7\n' } },
        { method: 'DELETE', path: `${DOWNLOAD}/ds-1` },
      );
      const session = await openDownloadSession(api, 'item-1', { intervalMs: 10 });
      assert.deepEqual(await api.listDownloadFiles(session.id), [
        { name: 'photon-disk1.vmdk', status: 'UNPREPARED', bytesTransferred: 0 },
      ]);
      assert.ok((await readAll(await session.open('photon-disk1.vmdk'))).equals(disk));
      await assert.rejects(readAll(await session.open('short.txt')), (e: unknown) =>
        isClaasError(e, 'INTEGRITY'),
      );
      await session.close();
    });
  },
);

test('/api: a file vCenter cannot prepare fails with its reason', { skip }, async () => {
  await withModernApi(async (api, fake) => {
    fake.expect(
      {
        method: 'GET',
        path: '/api/content/library/item/item-1/file',
        reply: { json: [{ name: 'x.iso', size: 1 }] },
      },
      createDownload,
      {
        method: 'POST',
        path: `${DOWNLOAD}/ds-1/file`,
        query: { action: 'prepare' },
        body: { file_name: 'x.iso', endpoint_type: 'HTTPS' },
        reply: {
          json: {
            name: 'x.iso',
            status: 'ERROR',
            error_message: { default_message: 'datastore inaccessible' },
          },
        },
      },
      {
        method: 'DELETE',
        path: `${DOWNLOAD}/ds-1`,
        reply: { status: 404, json: { error_type: 'NOT_FOUND', messages: [] } },
      },
    );
    const session = await openDownloadSession(api, 'item-1', { intervalMs: 10 });
    await assert.rejects(session.open('x.iso'), (e: unknown) =>
      /datastore inaccessible/.test((e as Error).message),
    );
    await session.close(); // an expired session is not an error
  });
});
