// A VCSP library (any publisher's lib.json URL) as a source of `claas run`. The idle poll is one GET of
// lib.json: its id and version change whenever the publisher changes anything (the VCSP rule subscribers
// rely on), and only then is the items index read. Preparing goes through the import pipeline (the import
// record: items whose version is unchanged are not downloaded again).

import type { SourceConfig } from '../../config/schema.js';
import { MAX_LIB_JSON_BYTES, openVcspSource as readVcspLibrary } from '../../sources/vcsp.js';
import type { VcspSource } from '../../sources/vcsp.js';
import { VcspHttp } from '../../sources/vcsp-http.js';
import type { VcspHttpOptions } from '../../sources/vcsp-http.js';
import { readPasswordFile } from '../../util/password-file.js';
import { parseLibJson } from '../../vcsp/schema.js';
import type { SourceListing } from '../types.js';
import type { PrepareContext, PreparedSource, Source } from './index.js';
import { POLL_TIMEOUT_MS, boundedPoll, listingToken } from './poll.js';
import { prepareRemoteSource } from './remote.js';

type VcspConfig = Extract<SourceConfig, { kind: 'vcsp' }>;

export function openVcspSource(config: VcspConfig, o: { pollTimeoutMs?: number }): Source {
  const trust: VcspHttpOptions = {
    ...(config.thumbprint === undefined ? {} : { thumbprint: config.thumbprint }),
    ...(config.caFile === undefined ? {} : { caFile: config.caFile }),
  };
  // Constructing the client checks the URL (and gives the form messages name it by); nothing is sent yet.
  let http = new VcspHttp(config.url, trust);
  const name = http.describe;
  let withPassword = config.passwordFile === undefined;
  let options: VcspHttpOptions = trust;
  /** The library as last read: its lib.json version and items (kept open for prepare). */
  let known: { version: string; remote: VcspSource; listing: SourceListing } | undefined;

  const list = async (): Promise<SourceListing> => {
    if (!withPassword && config.passwordFile !== undefined) {
      const { password } = await readPasswordFile(config.passwordFile, `the passwordFile of source ${name}`);
      options = { ...trust, password };
      http.close();
      http = new VcspHttp(config.url, options);
      withPassword = true;
    }
    const lib = parseLibJson(await http.getText(http.libHref, 'lib.json', MAX_LIB_JSON_BYTES), name);
    const version = `${lib.id}|${lib.version}`;
    if (known !== undefined && known.version === version) return { ...known.listing, requests: 1 };
    // Changed (or first): read the index. This reads lib.json once more, then the items index.
    const remote = await readVcspLibrary(config.url, options);
    const items = remote.items.map((i) => ({ name: i.name, fingerprint: i.fingerprint }));
    const listing: SourceListing = {
      source: name,
      kind: 'vcsp',
      items,
      vmtx: [],
      requests: 3,
      token: listingToken(items, [], `${remote.lib.id}|${remote.lib.version}`),
    };
    known?.remote.close();
    known = { version: `${remote.lib.id}|${remote.lib.version}`, remote, listing };
    return listing;
  };

  return {
    config,
    name,
    poll: (signal) => boundedPoll(name, o.pollTimeoutMs ?? POLL_TIMEOUT_MS, signal, list),
    prepare: (ctx: PrepareContext): Promise<PreparedSource> => prepareRemoteSource(name, known?.remote, ctx),
    describe: () => ({ kind: 'vcsp', url: name }),
    close: () => {
      known?.remote.close();
      known = undefined;
      http.close();
      return Promise.resolve();
    },
  };
}
