// A library of a vCenter as a source of `claas run`. vCenter's library object does not change when items are
// added, changed or removed (last_modified_time covers the library's own properties; vcsim reports no
// version at all), so the idle poll is GET library + the item id list: two requests whatever the number of
// items. The items themselves (GET item: content version; its file list only when that moved or vCenter
// reports none) are read when the id list or the library changed, and every FULL_CHECK_EVERY polls, which
// is how content replaced inside an existing item is noticed. Items of type vm-template (vmtx) cannot
// travel over VCSP: they are listed by name in `vmtx`, not as items. Preparing goes through the import
// pipeline (the import record: unchanged items are not downloaded again).

import { ClaasError } from '../../errors.js';
import type { SourceConfig } from '../../config/schema.js';
import type { VcenterTarget } from '../../config/vcenters.js';
import { vcenterFingerprint, vcenterRemoteLibrary } from '../../sources/vcenter.js';
import type { ListedVcenterItem } from '../../sources/vcenter.js';
import { readPasswordFile } from '../../util/password-file.js';
import { mapLimited } from '../../util/pool.js';
import { connectVcenter, parseServer, requireLibrary } from '../../vcenter/index.js';
import type { LibraryInfo, VcenterApi } from '../../vcenter/index.js';
import type { ListedItem, SourceListing } from '../types.js';
import type { PrepareContext, PreparedSource, Source } from './index.js';
import { POLL_TIMEOUT_MS, boundedPoll, listingToken } from './poll.js';
import { prepareRemoteSource } from './remote.js';

type VcenterConfig = Extract<SourceConfig, { kind: 'vcenter' }>;

/** Every this many polls the items are read even when the library and its id list look unchanged. */
export const FULL_CHECK_EVERY = 10;

/** vCenter's item type of a VM template in a library (vmtx). */
export function isVmTemplate(type: string | undefined): boolean {
  return (type ?? '').toLowerCase() === 'vm-template';
}

interface Known {
  library: LibraryInfo;
  /** GET library + the sorted item ids: the idle poll compares these. */
  shape: string;
  items: ListedVcenterItem[];
  listing: SourceListing;
  pollsSinceFull: number;
}

export function openVcenterSource(
  config: VcenterConfig,
  target: VcenterTarget,
  o: { env: NodeJS.ProcessEnv; pollTimeoutMs?: number },
): Source {
  const host = new URL(parseServer(target.server)).host;
  const name = `${host} library ${JSON.stringify(config.library)}`;
  let api: VcenterApi | undefined;
  let known: Known | undefined;

  const connect = async (): Promise<VcenterApi> => {
    const user = target.user ?? (target.userEnv === undefined ? undefined : o.env[target.userEnv]);
    if (user === undefined || user === '') {
      throw new ClaasError(
        'BAD_INPUT',
        `vcenters ${target.name}: no user (${target.userEnv ?? 'user'} is not set)`,
        {
          input: target.name,
          hint: `set ${target.userEnv ?? 'user:'} for claas run`,
        },
      );
    }
    const { password } = await readPasswordFile(target.passwordFile, `vcenters ${target.name} passwordFile`);
    return connectVcenter({
      server: target.server,
      user,
      password,
      ...(target.thumbprint === undefined ? {} : { thumbprint: target.thumbprint }),
      ...(target.caFile === undefined ? {} : { caFile: target.caFile }),
    });
  };

  /** Reads every item (GET), and the file lists of those whose content version moved or is not reported. */
  const readItems = async (vc: VcenterApi, ids: string[], counter: { n: number }) => {
    const before = new Map((known?.items ?? []).map((i) => [i.item.id, i]));
    return mapLimited(ids, 4, async (id): Promise<ListedVcenterItem> => {
      counter.n += 1;
      const item = await vc.getItem(id);
      const old = before.get(id);
      if (isVmTemplate(item.type)) return { item, files: [] };
      if (
        old !== undefined &&
        item.contentVersion !== undefined &&
        old.item.contentVersion === item.contentVersion
      ) {
        return { item, files: old.files };
      }
      counter.n += 1;
      return { item, files: await vc.listItemFiles(id) };
    });
  };

  const list = async (): Promise<SourceListing> => {
    const counter = { n: 0 };
    try {
      if (api === undefined) {
        counter.n += 1;
        api = await connect();
      }
      const vc = api;
      counter.n += 1;
      const library =
        known === undefined
          ? await requireLibrary(vc, config.library)
          : await vc.getLibrary(known.library.id);
      counter.n += 1;
      const ids = (await vc.listItems(library.id)).sort();
      const shape = JSON.stringify([library.id, library.version, library.lastModifiedTime, ids]);
      if (known !== undefined && known.shape === shape && known.pollsSinceFull + 1 < FULL_CHECK_EVERY) {
        known = { ...known, library, pollsSinceFull: known.pollsSinceFull + 1 };
        return { ...known.listing, requests: counter.n };
      }
      const items = await readItems(vc, ids, counter);
      items.sort((a, b) => (a.item.name < b.item.name ? -1 : a.item.name > b.item.name ? 1 : 0));
      const vmtx = items.filter((i) => isVmTemplate(i.item.type)).map((i) => i.item.name);
      const listed: ListedItem[] = items
        .filter((i) => !isVmTemplate(i.item.type) && i.files.length > 0)
        .map((i) => ({ name: i.item.name, fingerprint: vcenterFingerprint(i.item, i.files) }));
      const listing: SourceListing = {
        source: name,
        kind: 'vcenter',
        items: listed,
        vmtx,
        requests: counter.n,
        token: listingToken(listed, vmtx, library.id),
      };
      known = { library, shape, items, listing, pollsSinceFull: 0 };
      return listing;
    } catch (e) {
      // The next poll logs in again (an expired session, a restarted vCenter).
      const dropped = api;
      api = undefined;
      void dropped?.logout().catch(() => undefined);
      throw e;
    }
  };

  return {
    config,
    name,
    poll: (signal) => boundedPoll(name, o.pollTimeoutMs ?? POLL_TIMEOUT_MS, signal, list),
    prepare(ctx: PrepareContext): Promise<PreparedSource> {
      const vc = api;
      const k = known;
      const items = (k?.items ?? []).filter((i) => !isVmTemplate(i.item.type));
      const remote =
        vc === undefined || k === undefined ? undefined : vcenterRemoteLibrary(vc, k.library, items);
      return prepareRemoteSource(name, remote, ctx);
    },
    describe: () => ({ kind: 'vcenter', vcenter: target.name, host, library: config.library }),
    close: async () => {
      const dropped = api;
      api = undefined;
      known = undefined;
      await dropped?.logout().catch(() => undefined);
    },
  };
}
