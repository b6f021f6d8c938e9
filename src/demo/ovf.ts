// Writes OVF descriptors and manifests for the demo's sample content and for tests, shaped the way
// VMware's ovftool writes them (OVF 1.x namespaces, rasd elements in schema order, InstanceIDs counting
// up, the disk's Parent naming the SCSI controller).

export const STREAM_OPTIMIZED_FORMAT =
  'http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized';

export interface OvfDescriptorOptions {
  /** Name of the virtual machine (and of the vApp when vapp is true). */
  name: string;
  /** File name of the disk, relative to the descriptor. */
  diskFile: string;
  /** Size of the disk file in bytes. */
  diskFileSize: number;
  /** Virtual disk size in bytes. */
  capacityBytes: number;
  annotation?: string;
  /** Wrap the virtual machine in a VirtualSystemCollection (a vApp template). */
  vapp?: boolean;
}

/** An OVF 1.x envelope for a one-disk, one-NIC Linux virtual machine (or a vApp holding it). */
export function ovfDescriptor(o: OvfDescriptorOptions): string {
  const x = xmlEscape;
  const vmId = o.vapp ? `${o.name}-vm` : o.name;
  const annotation =
    o.annotation === undefined
      ? []
      : [
          '<AnnotationSection ovf:required="false">',
          '  <Info>A human-readable annotation</Info>',
          `  <Annotation>${x(o.annotation)}</Annotation>`,
          '</AnnotationSection>',
        ];
  const item = (fields: [string, string | number][]): string[] => [
    '<Item>',
    ...fields.map(([k, v]) => `  <rasd:${k}>${x(String(v))}</rasd:${k}>`),
    '</Item>',
  ];
  const virtualSystem = [
    `<VirtualSystem ovf:id="${x(vmId)}">`,
    '  <Info>A virtual machine</Info>',
    `  <Name>${x(vmId)}</Name>`,
    ...indent(2, [
      '<OperatingSystemSection ovf:id="101" vmw:osType="otherLinux64Guest">',
      '  <Info>The kind of installed guest operating system</Info>',
      '</OperatingSystemSection>',
      '<VirtualHardwareSection>',
      '  <Info>Virtual hardware requirements</Info>',
      '  <System>',
      '    <vssd:ElementName>Virtual Hardware Family</vssd:ElementName>',
      '    <vssd:InstanceID>0</vssd:InstanceID>',
      `    <vssd:VirtualSystemIdentifier>${x(vmId)}</vssd:VirtualSystemIdentifier>`,
      '    <vssd:VirtualSystemType>vmx-13</vssd:VirtualSystemType>',
      '  </System>',
      ...indent(2, [
        ...item([
          ['AllocationUnits', 'hertz * 10^6'],
          ['Description', 'Number of Virtual CPUs'],
          ['ElementName', '1 virtual CPU(s)'],
          ['InstanceID', 1],
          ['ResourceType', 3],
          ['VirtualQuantity', 1],
        ]),
        ...item([
          ['AllocationUnits', 'byte * 2^20'],
          ['Description', 'Memory Size'],
          ['ElementName', '512MB of memory'],
          ['InstanceID', 2],
          ['ResourceType', 4],
          ['VirtualQuantity', 512],
        ]),
        ...item([
          ['Address', 0],
          ['Description', 'SCSI Controller'],
          ['ElementName', 'SCSI Controller 0'],
          ['InstanceID', 3],
          ['ResourceSubType', 'lsilogic'],
          ['ResourceType', 6],
        ]),
        ...item([
          ['AddressOnParent', 0],
          ['ElementName', 'Hard Disk 1'],
          ['HostResource', 'ovf:/disk/vmdisk1'],
          ['InstanceID', 4],
          ['Parent', 3],
          ['ResourceType', 17],
        ]),
        ...item([
          ['AddressOnParent', 7],
          ['AutomaticAllocation', 'true'],
          ['Connection', 'VM Network'],
          ['Description', 'VmxNet3 ethernet adapter on "VM Network"'],
          ['ElementName', 'Network adapter 1'],
          ['InstanceID', 5],
          ['ResourceSubType', 'VmxNet3'],
          ['ResourceType', 10],
        ]),
      ]),
      '</VirtualHardwareSection>',
      ...(o.vapp ? [] : annotation),
    ]),
    '</VirtualSystem>',
  ];
  const content = o.vapp
    ? [
        `<VirtualSystemCollection ovf:id="${x(o.name)}">`,
        '  <Info>A collection of virtual machines</Info>',
        `  <Name>${x(o.name)}</Name>`,
        '  <StartupSection>',
        '    <Info>VApp startup section</Info>',
        `    <Item ovf:id="${x(vmId)}" ovf:order="0" ovf:startAction="powerOn" ovf:startDelay="0" ovf:stopAction="powerOff" ovf:stopDelay="0"/>`,
        '  </StartupSection>',
        ...indent(2, annotation),
        ...indent(2, virtualSystem),
        '</VirtualSystemCollection>',
      ]
    : virtualSystem;

  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1"' +
      ' xmlns:cim="http://schemas.dmtf.org/wbem/wscim/1/common"' +
      ' xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"' +
      ' xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData"' +
      ' xmlns:vmw="http://www.vmware.com/schema/ovf"' +
      ' xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData"' +
      ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">',
    ...indent(2, [
      '<References>',
      `  <File ovf:href="${x(o.diskFile)}" ovf:id="file1" ovf:size="${o.diskFileSize}"/>`,
      '</References>',
      '<DiskSection>',
      '  <Info>Virtual disk information</Info>',
      `  <Disk ovf:capacity="${o.capacityBytes}" ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:format="${STREAM_OPTIMIZED_FORMAT}"/>`,
      '</DiskSection>',
      '<NetworkSection>',
      '  <Info>The list of logical networks</Info>',
      '  <Network ovf:name="VM Network">',
      '    <Description>The VM Network network</Description>',
      '  </Network>',
      '</NetworkSection>',
      ...content,
    ]),
    '</Envelope>',
    '',
  ].join('\n');
}

/** An OVF manifest: one `SHA256(name)= hex` line per file, in the order given. */
export function ovfManifest(files: { name: string; sha256: string }[]): string {
  return files.map((f) => `SHA256(${f.name})= ${f.sha256}\n`).join('');
}

function indent(n: number, lines: string[]): string[] {
  const pad = ' '.repeat(n);
  return lines.map((l) => pad + l);
}

function xmlEscape(s: string): string {
  const entities: Record<string, string> = {
    '&': '&amp;',
    '<': '&lt;',
    '>': '&gt;',
    '"': '&quot;',
    "'": '&apos;',
  };
  return s.replace(/[&<>"']/g, (c) => entities[c] ?? c);
}
