// What the remote sources of `claas run` (a vCenter library, a VCSP URL) share when a step reads their items:
// the import pipeline's prepare (unchanged items reused by the import record, the others staged in the
// origin), as a PreparedSource.

import { ClaasError } from '../../errors.js';
import { prepareRemote } from '../../sources/import.js';
import type { RemoteLibrary } from '../../sources/import.js';
import type { PrepareContext, PreparedSource } from './index.js';

/** The items of `remote` the step wants (ctx.only), staged or reused. */
export async function prepareRemoteSource(
  name: string,
  remote: RemoteLibrary | undefined,
  ctx: PrepareContext,
): Promise<PreparedSource> {
  if (remote === undefined) {
    throw new ClaasError('UNREACHABLE', `${name}: no listing to read the items of (the last poll failed)`, {
      input: name,
    });
  }
  const prepared = await prepareRemote(remote, {
    store: ctx.store,
    state: ctx.state,
    signal: ctx.signal,
    only: ctx.only,
    ...(ctx.onEvent === undefined ? {} : { onEvent: ctx.onEvent }),
  });
  return {
    items: prepared.items,
    read: prepared.actions.filter((a) => a.action === 'fetched').map((a) => a.name),
    commit: () => prepared.commit(),
    cleanup: () => prepared.cleanup(),
  };
}
