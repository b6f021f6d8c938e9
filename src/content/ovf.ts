// OVF descriptor parsing: the file references, whether it is a vApp template, its name and annotation.
// Descriptors are untrusted: no DOCTYPE (so no entity expansion), hrefs must be plain file names.

import { createRequire } from 'node:module';
import type * as FastXmlParser from 'fast-xml-parser';
import { badInput } from '../errors.js';
import { unsafeSegmentReason } from './names.js';

export interface OvfReference {
  id: string;
  href: string;
  size?: number;
}

export interface OvfInfo {
  references: OvfReference[];
  /** The descriptor has a VirtualSystemCollection (a vApp), not a single VirtualSystem. */
  isVappTemplate: boolean;
  name?: string;
  annotation?: string;
}

/** Descriptors larger than this are refused (real ones are kilobytes, a few MB at most). */
export const MAX_DESCRIPTOR_BYTES = 16 * 1024 * 1024;

const HINT = 'check that the .ovf is a complete OVF descriptor (re-export it with ovftool if needed)';

type Node = Record<string, unknown>;

/** The XML parser, loaded on first use: a publish whose folder has no OVF changes never needs it. */
let xml: { parser: FastXmlParser.XMLParser; validator: typeof FastXmlParser.XMLValidator } | undefined;
function xmlParser(): NonNullable<typeof xml> {
  if (xml !== undefined) return xml;
  const lib = createRequire(import.meta.url)('fast-xml-parser') as typeof FastXmlParser;
  xml = { parser: new lib.XMLParser(PARSER_OPTIONS), validator: lib.XMLValidator };
  return xml;
}

const PARSER_OPTIONS: FastXmlParser.X2jOptions = {
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  // Only the predefined XML entities and character references: DOCTYPE is refused before parsing.
  processEntities: { enabled: true, maxEntityCount: 0, maxTotalExpansions: 1_000_000 },
  htmlEntities: false,
  isArray: (tagName) => tagName === 'File',
};

function asNode(v: unknown): Node | undefined {
  if (Array.isArray(v)) return asNode(v[0]);
  return typeof v === 'object' && v !== null ? (v as Node) : undefined;
}

function textOf(v: unknown): string | undefined {
  if (Array.isArray(v)) return textOf(v[0]);
  if (typeof v === 'string') return v;
  const n = asNode(v);
  const t = n?.['#text'];
  return typeof t === 'string' ? t : undefined;
}

function attr(n: Node, name: string): string | undefined {
  const v = n[`@${name}`];
  return typeof v === 'string' ? v : undefined;
}

function checkHref(href: string, input: string): void {
  const reason = /^[a-z][a-z0-9+.-]*:/i.test(href)
    ? 'it is a URL (claas only publishes files that sit next to the descriptor)'
    : unsafeSegmentReason(href);
  if (reason !== undefined) {
    throw badInput(
      `OVF descriptor references file "${href}", which is not a plain file name: ${reason}`,
      input,
      'the References section may only name files in the same folder as the .ovf',
    );
  }
}

function parseReferences(envelope: Node, input: string): OvfReference[] {
  const refs = asNode(envelope['References']);
  const files = (refs?.['File'] as unknown[] | undefined) ?? [];
  const out: OvfReference[] = [];
  const seen = new Set<string>();
  for (const f of files) {
    const n = asNode(f) ?? {};
    const href = attr(n, 'href');
    const id = attr(n, 'id') ?? '';
    if (href === undefined) throw badInput(`OVF descriptor has a File reference without href`, input, HINT);
    checkHref(href, input);
    if (seen.has(href)) throw badInput(`OVF descriptor references "${href}" twice`, input, HINT);
    seen.add(href);
    if (attr(n, 'chunkSize') !== undefined) {
      throw badInput(
        `OVF descriptor stores "${href}" in chunks (ovf:chunkSize), which claas does not support`,
        input,
        'export the template again without chunking (ovftool writes single files by default)',
      );
    }
    const sizeText = attr(n, 'size');
    const ref: OvfReference = { id, href };
    if (sizeText !== undefined) {
      const size = Number(sizeText.trim());
      if (!/^\d+$/.test(sizeText.trim()) || !Number.isSafeInteger(size)) {
        throw badInput(`OVF descriptor gives "${href}" an invalid size "${sizeText}"`, input, HINT);
      }
      ref.size = size;
    }
    out.push(ref);
  }
  return out;
}

function findAnnotation(entity: Node | undefined): string | undefined {
  const section = asNode(entity?.['AnnotationSection']);
  const text = textOf(section?.['Annotation']);
  return text === undefined || text.trim() === '' ? undefined : text.trim();
}

/** Parses an OVF descriptor; input names the .ovf (or the OVA holding it) in errors. */
export function parseOvfDescriptor(xml: string, input: string): OvfInfo {
  if (xml.length > MAX_DESCRIPTOR_BYTES) {
    throw badInput(`OVF descriptor is larger than ${MAX_DESCRIPTOR_BYTES} bytes`, input, HINT);
  }
  const text = xml.charCodeAt(0) === 0xfeff ? xml.slice(1) : xml;
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) {
    throw badInput(
      'OVF descriptor contains a DOCTYPE or ENTITY declaration, which OVF does not use',
      input,
      'remove the DOCTYPE; claas refuses it to prevent entity-expansion attacks',
    );
  }
  const valid = xmlParser().validator.validate(text);
  if (valid !== true) {
    throw badInput(
      `OVF descriptor is not well-formed XML (line ${valid.err.line}): ${valid.err.msg}`,
      input,
      HINT,
    );
  }
  let doc: Node;
  try {
    doc = xmlParser().parser.parse(text) as Node;
  } catch (e) {
    throw badInput(`OVF descriptor could not be parsed: ${(e as Error).message}`, input, HINT);
  }
  const roots = Object.keys(doc).filter((k) => !k.startsWith('?') && !k.startsWith('#'));
  if (roots.length !== 1 || roots[0] !== 'Envelope') {
    throw badInput(
      `not an OVF descriptor: the root element is <${roots[0] ?? 'none'}>, expected <Envelope>`,
      input,
      HINT,
    );
  }
  const envelope = asNode(doc['Envelope']) ?? {};
  const collection = asNode(envelope['VirtualSystemCollection']);
  const system = asNode(envelope['VirtualSystem']);
  const entity = collection ?? system;
  const info: OvfInfo = {
    references: parseReferences(envelope, input),
    isVappTemplate: collection !== undefined,
  };
  const name = textOf(entity?.['Name'])?.trim() || (entity && attr(entity, 'id'));
  if (name) info.name = name;
  const annotation = findAnnotation(entity) ?? findAnnotation(envelope);
  if (annotation !== undefined) info.annotation = annotation;
  return info;
}
