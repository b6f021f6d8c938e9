// The VCSP source of `claas import vcsp <url>`: any published library (a vCenter's /cls/vcsp/lib/<id>,
// another claas, make_vcsp_2018.py output on a web server or bucket) read the way a subscriber reads it,
// with everything the publisher sends treated as hostile: strict schemas for lib.json, the items index and
// each item.json (safe relative hrefs only, sizes up to 64 TiB, strict types), per-document size limits,
// unique item ids and names, item.json agreeing with its index entry, and, while the files stream, their
// declared sizes and any SHA-256 a content-addressed href states. Items are fetched only when their
// version differs from the one imported last time (the import record).

import { ClaasError } from '../errors.js';
import { sha256FromHref } from '../subscriber/content-check.js';
import { parseItemJson, parseItemsJson, parseLibJson } from '../vcsp/schema.js';
import type { ItemJson, LibJson } from '../vcsp/types.js';
import type { RemoteFile, RemoteItem, RemoteLibrary } from './import.js';
import type { Expected } from './staging.js';
import { VcspHttp } from './vcsp-http.js';
import type { VcspHttpOptions } from './vcsp-http.js';

/** lib.json is a few hundred bytes; anything near this is not a library. */
export const MAX_LIB_JSON_BYTES = 1024 * 1024;
/** The items index of 100,000 items fits. */
export const MAX_ITEMS_JSON_BYTES = 64 * 1024 * 1024;
export const MAX_ITEM_JSON_BYTES = 16 * 1024 * 1024;

const HINT =
  'The library does not follow the VCSP format; ask its publisher to fix it. Nothing was imported.';

export type VcspSourceOptions = VcspHttpOptions;

export interface VcspSource extends RemoteLibrary {
  lib: LibJson;
  close(): void;
}

function protocol(message: string, input: string): ClaasError {
  return new ClaasError('PROTOCOL', message, { input, hint: HINT });
}

/** Adds the item's name to a schema error about `items[N]...`, when the raw document has one. */
function nameTheItem(e: unknown, text: string): unknown {
  if (!(e instanceof ClaasError)) return e;
  const index = /: items\[(\d+)\]/.exec(e.message)?.[1];
  if (index === undefined) return e;
  let name: unknown;
  try {
    name = (JSON.parse(text) as { items?: { name?: unknown }[] }).items?.[Number(index)]?.name;
  } catch {
    return e;
  }
  if (typeof name !== 'string') return e;
  return new ClaasError(e.code, `${e.message} (item ${JSON.stringify(name.slice(0, 100))})`, {
    ...(e.input === undefined ? {} : { input: e.input }),
    ...(e.hint === undefined ? {} : { hint: e.hint }),
  });
}

/** A VCSP v1 "maintenance" library: subscribers fail the sync and show the message. */
function maintenanceMessage(text: string): string | undefined {
  try {
    const raw = JSON.parse(text) as { maintenanceMessage?: unknown };
    return typeof raw.maintenanceMessage === 'string' && raw.maintenanceMessage.trim() !== ''
      ? raw.maintenanceMessage.trim().slice(0, 500)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Checks that an item.json says what the index said about the item. */
function checkAgainstIndex(entry: ItemJson, item: ItemJson, selfHref: string, itemsHref: string): void {
  const fields = ['id', 'name', 'version', 'type'] as const;
  for (const field of fields) {
    if (entry[field] !== item[field]) {
      throw protocol(
        `${selfHref}: ${field} is ${JSON.stringify(item[field])}, but ${itemsHref} lists ` +
          `${JSON.stringify(entry[field])} for item ${JSON.stringify(entry.name)}`,
        selfHref,
      );
    }
  }
}

/** Reads lib.json and the items index of a VCSP library; item files are read only when imported. */
export async function openVcspSource(libJsonUrl: string, o: VcspSourceOptions = {}): Promise<VcspSource> {
  const http = new VcspHttp(libJsonUrl, o);
  try {
    const libText = await http.getText(http.libHref, 'lib.json', MAX_LIB_JSON_BYTES);
    const lib = parseLibJson(libText, http.describe);
    if (lib.vcspVersion !== '1' && lib.vcspVersion !== '2') {
      throw protocol(
        `${http.describe}: vcspVersion ${JSON.stringify(lib.vcspVersion)} is not a VCSP version claas reads (1 or 2)`,
        http.describe,
      );
    }
    const maintenance = maintenanceMessage(libText);
    if (maintenance !== undefined) {
      throw new ClaasError('UNREACHABLE', `${http.describe} is in maintenance: ${maintenance}`, {
        input: http.describe,
        hint: 'The publisher announced maintenance; import again later.',
      });
    }
    const itemsHref = lib.itemsHref;
    const itemsText = await http.getText(itemsHref, itemsHref, MAX_ITEMS_JSON_BYTES);
    let entries: ItemJson[];
    try {
      entries = parseItemsJson(itemsText, itemsHref).items;
    } catch (e) {
      throw nameTheItem(e, itemsText);
    }

    const items = entries.map((entry, index): RemoteItem => {
      const where = `item ${JSON.stringify(entry.name.slice(0, 100))} (${itemsHref} items[${index}])`;
      return {
        id: entry.id,
        fingerprint: `version ${entry.version}`,
        name: entry.name,
        description: entry.description,
        type: entry.type,
        where,
        content: async () => {
          const selfHref = entry.selfHref;
          const text = await http.getText(selfHref, `${where} item.json`, MAX_ITEM_JSON_BYTES);
          const item = parseItemJson(text, selfHref);
          checkAgainstIndex(entry, item, selfHref, itemsHref);
          return { files: item.files.map((f, i) => remoteFile(http, where, f, i)) };
        },
      };
    });

    return {
      kind: 'vcsp',
      identity: lib.id,
      url: http.describe,
      name: lib.name,
      ...(lib.description === undefined ? {} : { description: lib.description }),
      items,
      warnings: [],
      lib,
      close: () => http.close(),
    };
  } catch (e) {
    http.close();
    throw e;
  }
}

function remoteFile(http: VcspHttp, where: string, f: ItemJson['files'][number], index: number): RemoteFile {
  const href = f.hrefs[0];
  if (href === undefined) throw protocol(`${where}: files[${index}] has no href`, http.describe);
  const expected: Expected[] = [];
  const sha256 = sha256FromHref(href);
  if (sha256 !== undefined)
    expected.push({ algo: 'sha256', hex: sha256, from: `its content-addressed href ${href}` });
  const describe = http.urlOf(href).toString();
  return {
    name: f.name,
    size: f.size,
    expected,
    describe,
    open: () => http.open(href, `${where} file ${JSON.stringify(f.name)}`),
  };
}
