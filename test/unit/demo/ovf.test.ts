// Tests for src/demo/ovf.ts: the descriptor is well-formed OVF 1.x shaped like ovftool's, and the
// manifest lists one SHA-256 line per file.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { XMLValidator } from 'fast-xml-parser';

import { STREAM_OPTIMIZED_FORMAT, ovfDescriptor, ovfManifest } from '../../../src/demo/ovf.js';
import { MiB, xml } from './readers.js';

interface RasdItem {
  [k: string]: string | undefined;
}

function hardwareItems(vs: Record<string, unknown>): RasdItem[] {
  const hw = vs['VirtualHardwareSection'] as { Item: RasdItem[]; System: Record<string, string> };
  assert.equal(hw.System['vssd:VirtualSystemType'], 'vmx-13');
  assert.equal(hw.System['vssd:InstanceID'], '0');
  return hw.Item;
}

describe('ovfDescriptor', () => {
  const base = {
    name: 'web & db',
    diskFile: 'disk1.vmdk',
    diskFileSize: 12345,
    capacityBytes: 8 * 1024 * MiB,
  };

  test('writes a well-formed OVF 1.x envelope with references, disk, network and hardware', () => {
    const text = ovfDescriptor({ ...base, annotation: 'a <b> & "c"' });
    assert.equal(XMLValidator.validate(text), true);
    const env = xml.parse(text).Envelope;
    assert.equal(env['@xmlns'], 'http://schemas.dmtf.org/ovf/envelope/1');
    assert.equal(env['@xmlns:ovf'], 'http://schemas.dmtf.org/ovf/envelope/1');
    assert.equal(env['@xmlns:vmw'], 'http://www.vmware.com/schema/ovf');
    assert.match(env['@xmlns:rasd'], /CIM_ResourceAllocationSettingData$/);
    assert.match(env['@xmlns:vssd'], /CIM_VirtualSystemSettingData$/);
    assert.deepEqual(
      Object.keys(env).filter((k) => !k.startsWith('@')),
      ['References', 'DiskSection', 'NetworkSection', 'VirtualSystem'],
    );
    const file = env.References.File;
    assert.equal(file['@ovf:href'], 'disk1.vmdk');
    assert.equal(file['@ovf:size'], '12345');
    const disk = env.DiskSection.Disk;
    assert.equal(disk['@ovf:capacity'], String(8 * 1024 * MiB));
    assert.equal(disk['@ovf:fileRef'], file['@ovf:id']);
    assert.equal(disk['@ovf:format'], STREAM_OPTIMIZED_FORMAT);
    assert.equal(env.NetworkSection.Network['@ovf:name'], 'VM Network');

    const vs = env.VirtualSystem;
    assert.equal(vs['@ovf:id'], 'web & db');
    assert.equal(vs.Name, 'web & db');
    assert.equal(vs.OperatingSystemSection['@vmw:osType'], 'otherLinux64Guest');
    assert.equal(vs.AnnotationSection.Annotation, 'a <b> & "c"');
    const items = hardwareItems(vs);
    const ids = items.map((i) => i['rasd:InstanceID']);
    assert.deepEqual(ids, ['1', '2', '3', '4', '5'], 'InstanceIDs unique and in order');
    const byType = (t: string) => items.filter((i) => i['rasd:ResourceType'] === t);
    assert.equal(byType('3')[0]?.['rasd:VirtualQuantity'], '1');
    assert.equal(byType('4')[0]?.['rasd:VirtualQuantity'], '512');
    assert.equal(byType('4')[0]?.['rasd:AllocationUnits'], 'byte * 2^20');
    const scsi = byType('6')[0];
    assert.equal(scsi?.['rasd:ResourceSubType'], 'lsilogic');
    const hd = byType('17')[0];
    assert.equal(hd?.['rasd:Parent'], scsi?.['rasd:InstanceID'], 'the disk hangs on the SCSI controller');
    assert.equal(hd?.['rasd:HostResource'], `ovf:/disk/${disk['@ovf:diskId']}`);
    const nic = byType('10')[0];
    assert.equal(nic?.['rasd:ResourceSubType'], 'VmxNet3');
    assert.equal(nic?.['rasd:Connection'], 'VM Network');

    // rasd elements in schema (alphabetical) order inside every Item.
    for (const block of text.split('<Item>').slice(1)) {
      const names = [...block.split('</Item>')[0]!.matchAll(/<rasd:(\w+)>/g)].map((m) => m[1]!);
      assert.deepEqual(names, [...names].sort(), names.join(','));
    }
  });

  test('without annotation there is no AnnotationSection; vapp wraps the VM in a collection', () => {
    assert.ok(!ovfDescriptor(base).includes('AnnotationSection'));
    const text = ovfDescriptor({ ...base, vapp: true, annotation: 'vApp note' });
    assert.equal(XMLValidator.validate(text), true);
    const env = xml.parse(text).Envelope;
    assert.equal(env.VirtualSystem, undefined);
    const vsc = env.VirtualSystemCollection;
    assert.equal(vsc['@ovf:id'], 'web & db');
    assert.equal(vsc.AnnotationSection.Annotation, 'vApp note');
    assert.equal(vsc.StartupSection.Item['@ovf:id'], vsc.VirtualSystem['@ovf:id']);
    assert.notEqual(vsc.VirtualSystem['@ovf:id'], vsc['@ovf:id'], 'ids are unique in the envelope');
    assert.equal(hardwareItems(vsc.VirtualSystem).length, 5);
  });
});

describe('ovfManifest', () => {
  test('writes one SHA256(name)= hex line per file', () => {
    assert.equal(
      ovfManifest([
        { name: 'a.ovf', sha256: 'ab'.repeat(32) },
        { name: 'a-disk1.vmdk', sha256: 'cd'.repeat(32) },
      ]),
      `SHA256(a.ovf)= ${'ab'.repeat(32)}\nSHA256(a-disk1.vmdk)= ${'cd'.repeat(32)}\n`,
    );
    assert.equal(ovfManifest([]), '');
  });
});
