// Tests for src/content/ovf.ts: references, vApp detection, namespaces, and hostile descriptors.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseOvfDescriptor } from '../../../src/content/ovf.js';
import { assertClaasError, ovfXml } from './fixtures.js';

const INPUT = '/src/photon/photon.ovf';

describe('parseOvfDescriptor', () => {
  it('reads an ovf:-prefixed descriptor', () => {
    const info = parseOvfDescriptor(
      ovfXml({
        files: [{ href: 'disk1.vmdk', size: 1234 }, { href: 'disk2.vmdk' }],
        name: 'photon',
        annotation: 'Photon OS 5 &amp; friends',
      }),
      INPUT,
    );
    assert.deepEqual(info.references, [
      { id: 'file1', href: 'disk1.vmdk', size: 1234 },
      { id: 'file2', href: 'disk2.vmdk' },
    ]);
    assert.equal(info.isVappTemplate, false);
    assert.equal(info.name, 'photon');
    assert.equal(info.annotation, 'Photon OS 5 & friends');
  });

  it('reads a descriptor with a default namespace (unprefixed elements)', () => {
    const xml = ovfXml({ files: [{ href: 'a.vmdk', size: 5 }], prefixed: false, annotation: 'hello' });
    assert.ok(!xml.includes('<ovf:Envelope'));
    const info = parseOvfDescriptor(xml, INPUT);
    assert.deepEqual(info.references, [{ id: 'file1', href: 'a.vmdk', size: 5 }]);
    assert.equal(info.annotation, 'hello');
  });

  it('detects a vApp template (VirtualSystemCollection)', () => {
    assert.equal(parseOvfDescriptor(ovfXml({ files: [], vapp: true }), INPUT).isVappTemplate, true);
    assert.equal(
      parseOvfDescriptor(ovfXml({ files: [], vapp: true, prefixed: false }), INPUT).isVappTemplate,
      true,
    );
  });

  it('rejects malformed XML, naming the descriptor', async () => {
    const xml = ovfXml({ files: [{ href: 'a.vmdk' }] }).replace('</ovf:References>', '');
    await assertClaasError(() => parseOvfDescriptor(xml, INPUT), 'BAD_INPUT', INPUT, /not well-formed/);
    await assertClaasError(() => parseOvfDescriptor('', INPUT), 'BAD_INPUT', INPUT);
  });

  it('rejects a root that is not Envelope', async () => {
    await assertClaasError(
      () => parseOvfDescriptor('<?xml version="1.0"?><Project><File href="a"/></Project>', INPUT),
      'BAD_INPUT',
      INPUT,
      /Envelope/,
    );
  });

  it('rejects hrefs that are not plain file names', async () => {
    for (const href of [
      '../etc/passwd',
      'sub/disk.vmdk',
      '..',
      'http://evil.example/disk.vmdk',
      'C:\\disk.vmdk',
      'x\\y',
    ]) {
      await assertClaasError(
        () => parseOvfDescriptor(ovfXml({ files: [{ href }] }), INPUT),
        'BAD_INPUT',
        INPUT,
        /not a plain file name/,
      );
    }
  });

  it('rejects invalid sizes, duplicate hrefs and chunked files', async () => {
    await assertClaasError(
      () => parseOvfDescriptor(ovfXml({ files: [{ href: 'a.vmdk', size: -1 }] }), INPUT),
      'BAD_INPUT',
      INPUT,
      /invalid size/,
    );
    await assertClaasError(
      () => parseOvfDescriptor(ovfXml({ files: [{ href: 'a.vmdk' }, { href: 'a.vmdk' }] }), INPUT),
      'BAD_INPUT',
      INPUT,
      /twice/,
    );
    const chunked = ovfXml({ files: [{ href: 'a.vmdk' }] }).replace(
      'ovf:href="a.vmdk"',
      'ovf:href="a.vmdk" ovf:chunkSize="1000"',
    );
    await assertClaasError(() => parseOvfDescriptor(chunked, INPUT), 'BAD_INPUT', INPUT, /chunk/);
  });

  it('refuses entity expansion (billion laughs) quickly', async () => {
    const lol = [
      '<?xml version="1.0"?>',
      '<!DOCTYPE Envelope [',
      '  <!ENTITY lol "lol">',
      ...Array.from(
        { length: 9 },
        (_, i) => `  <!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`,
      ),
      ']>',
      '<Envelope><References/><VirtualSystem ovf:id="x" xmlns:ovf="o"><Name>&lol9;</Name></VirtualSystem></Envelope>',
    ].join('\n');
    const t0 = performance.now();
    await assertClaasError(() => parseOvfDescriptor(lol, INPUT), 'BAD_INPUT', INPUT, /DOCTYPE/);
    assert.ok(performance.now() - t0 < 1000);
  });

  it('parses a multi-megabyte descriptor', () => {
    const files = Array.from({ length: 20_000 }, (_, i) => ({ href: `disk${i}.vmdk`, size: i }));
    const xml = ovfXml({ files });
    assert.ok(xml.length > 1_000_000);
    const info = parseOvfDescriptor(xml, INPUT);
    assert.equal(info.references.length, 20_000);
    assert.deepEqual(info.references[19_999], { id: 'file20000', href: 'disk19999.vmdk', size: 19_999 });
  });
});
