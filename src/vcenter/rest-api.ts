// RestApi: VcenterApi over one flavour's routes. It sends each call's request, takes the payload out of
// the answer and reads it into claas's types; the file transfers to upload/download endpoints are plain
// HTTPS, the same in both flavours.

import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { ClaasError } from '../errors.js';
import type { SessionEnd, VcenterApi } from './api.js';
import { unsupported } from './json-client.js';
import type { JsonClient } from './json-client.js';
import type { Route, Routes } from './routes.js';
import { asArray, asString, asStringArray } from './shape.js';
import type { ShapeContext } from './shape.js';
import type * as T from './types.js';
import * as wire from './wire.js';

type Reader<R> = (ctx: ShapeContext, v: unknown) => R;

const readId: Reader<string> = (ctx, v) => asString(ctx, v);
const readIds: Reader<string[]> = (ctx, v) => asStringArray(ctx, v ?? []);
const ignore: Reader<void> = () => undefined;
const listOf =
  <R>(read: Reader<R>): Reader<R[]> =>
  (ctx, v) =>
    asArray(ctx, v ?? []).map((x) => read(ctx, x));

/** Why a vCenter that speaks only the legacy API cannot apply a guest customization spec. */
export function customizationUnsupported(server: string, specName: string): ClaasError {
  return unsupported(
    server,
    `applying guest customization spec '${specName}' to a deployed VM`,
    'Applying a stored customization spec to a VM needs the /api flavour of the vSphere Automation API ' +
      '(vCenter 7.0 U2 or later); this vCenter only speaks the legacy /rest API. Upgrade vCenter, or ' +
      'deploy without --customization and customize the VM in the vSphere Client.',
  );
}

export class RestApi implements VcenterApi {
  constructor(
    private readonly client: JsonClient,
    private readonly routes: Routes,
  ) {}

  get flavour(): T.Flavour {
    return this.routes.flavour;
  }

  get server(): string {
    return this.client.server;
  }

  /** Sends `op`'s request and reads its answer's payload. */
  private async run<R>(op: string, route: Route, read: Reader<R>): Promise<R> {
    const { json } = await this.client.call({ op, ...route });
    return read(this.client.shape(op), this.routes.payload(json));
  }

  // ---- libraries ----

  listLibraries(): Promise<string[]> {
    return this.run('list libraries', this.routes.listLibraries(), readIds);
  }

  getLibrary(id: string): Promise<T.LibraryInfo> {
    return this.run(`get library ${id}`, this.routes.getLibrary(id), wire.libraryFromWire);
  }

  findLibraries(spec: T.LibraryFindSpec): Promise<string[]> {
    return this.run(
      `find library ${JSON.stringify(spec.name ?? '')}`,
      this.routes.findLibraries(spec),
      readIds,
    );
  }

  createLocalLibrary(spec: T.LibraryCreateSpec): Promise<string> {
    return this.run(`create library '${spec.name}'`, this.routes.createLocalLibrary(spec), readId);
  }

  createSubscribedLibrary(spec: T.SubscribedLibraryCreateSpec): Promise<string> {
    return this.run(
      `create subscribed library '${spec.name}'`,
      this.routes.createSubscribedLibrary(spec),
      readId,
    );
  }

  updateSubscribedLibrary(id: string, spec: T.LibraryUpdateSpec): Promise<void> {
    return this.run(`update subscribed library ${id}`, this.routes.updateSubscribedLibrary(id, spec), ignore);
  }

  syncSubscribedLibrary(id: string): Promise<void> {
    return this.run(`sync subscribed library ${id}`, this.routes.syncSubscribedLibrary(id), ignore);
  }

  deleteLibrary(id: string, type: T.LibraryType): Promise<void> {
    return this.run(`delete library ${id}`, this.routes.deleteLibrary(id, type), ignore);
  }

  // ---- items ----

  listItems(libraryId: string): Promise<string[]> {
    return this.run(`list items of library ${libraryId}`, this.routes.listItems(libraryId), readIds);
  }

  getItem(id: string): Promise<T.ItemInfo> {
    return this.run(`get library item ${id}`, this.routes.getItem(id), wire.itemFromWire);
  }

  findItems(spec: T.ItemFindSpec): Promise<string[]> {
    return this.run(
      `find library item ${JSON.stringify(spec.name ?? '')}`,
      this.routes.findItems(spec),
      readIds,
    );
  }

  createItem(spec: T.ItemCreateSpec): Promise<string> {
    return this.run(`create library item '${spec.name}'`, this.routes.createItem(spec), readId);
  }

  updateItem(id: string, spec: T.ItemUpdateSpec): Promise<void> {
    return this.run(`update library item ${id}`, this.routes.updateItem(id, spec), ignore);
  }

  deleteItem(id: string): Promise<void> {
    return this.run(`delete library item ${id}`, this.routes.deleteItem(id), ignore);
  }

  listItemFiles(itemId: string): Promise<T.ItemFileInfo[]> {
    const op = `list files of library item ${itemId}`;
    return this.run(op, this.routes.listItemFiles(itemId), listOf(wire.itemFileFromWire));
  }

  // ---- update sessions ----

  createUpdateSession(itemId: string): Promise<string> {
    return this.run(
      `create an update session for item ${itemId}`,
      this.routes.createUpdateSession(itemId),
      readId,
    );
  }

  getUpdateSession(id: string): Promise<T.SessionInfo> {
    return this.run(`get update session ${id}`, this.routes.getUpdateSession(id), wire.sessionFromWire);
  }

  addUpdateFile(sessionId: string, spec: T.UpdateFileSpec): Promise<T.UpdateFileInfo> {
    const op = `add file '${spec.name}' to update session ${sessionId}`;
    return this.run(op, this.routes.addUpdateFile(sessionId, spec), wire.updateFileFromWire);
  }

  getUpdateFile(sessionId: string, name: string): Promise<T.UpdateFileInfo> {
    const op = `get file '${name}' of update session ${sessionId}`;
    return this.run(op, this.routes.getUpdateFile(sessionId, name), wire.updateFileFromWire);
  }

  listUpdateFiles(sessionId: string): Promise<T.UpdateFileInfo[]> {
    const op = `list files of update session ${sessionId}`;
    return this.run(op, this.routes.listUpdateFiles(sessionId), listOf(wire.updateFileFromWire));
  }

  endUpdateSession(id: string, how: SessionEnd, message = 'claas failed the upload'): Promise<void> {
    return this.run(`${how} update session ${id}`, this.routes.endUpdateSession(id, how, message), ignore);
  }

  deleteUpdateSession(id: string): Promise<void> {
    return this.run(`delete update session ${id}`, this.routes.deleteUpdateSession(id), ignore);
  }

  putFile(uploadUri: string, body: Buffer | Readable, size: number): Promise<void> {
    return this.client.put('upload a file to its update session endpoint', uploadUri, body, size);
  }

  // ---- download sessions ----

  createDownloadSession(itemId: string): Promise<string> {
    const op = `create a download session for item ${itemId}`;
    return this.run(op, this.routes.createDownloadSession(itemId), readId);
  }

  listDownloadFiles(sessionId: string): Promise<T.DownloadFileInfo[]> {
    const op = `list files of download session ${sessionId}`;
    return this.run(op, this.routes.listDownloadFiles(sessionId), listOf(wire.downloadFileFromWire));
  }

  prepareDownloadFile(sessionId: string, name: string): Promise<T.DownloadFileInfo> {
    const op = `prepare file '${name}' of download session ${sessionId}`;
    return this.run(op, this.routes.prepareDownloadFile(sessionId, name), wire.downloadFileFromWire);
  }

  getDownloadFile(sessionId: string, name: string): Promise<T.DownloadFileInfo> {
    const op = `get file '${name}' of download session ${sessionId}`;
    return this.run(op, this.routes.getDownloadFile(sessionId, name), wire.downloadFileFromWire);
  }

  deleteDownloadSession(id: string): Promise<void> {
    return this.run(`delete download session ${id}`, this.routes.deleteDownloadSession(id), ignore);
  }

  getFile(downloadUri: string): Promise<IncomingMessage> {
    return this.client.get('download a file from its download session endpoint', downloadUri);
  }

  // ---- OVF deploy and guest customization ----

  deployOvf(itemId: string, target: T.OvfDeployTarget, spec: T.OvfDeploySpec): Promise<T.OvfDeployResult> {
    const op = `deploy OVF item ${itemId} as VM '${spec.name}'`;
    return this.run(op, this.routes.deployOvf(itemId, target, spec), wire.deployResultFromWire);
  }

  getCustomizationSpec(name: string): Promise<T.CustomizationSpecInfo> {
    return this.run(
      `get guest customization spec '${name}'`,
      this.routes.getCustomizationSpec(name),
      (ctx, v) => wire.customizationSpecFromWire(ctx, name, v),
    );
  }

  async applyCustomization(vmId: string, specName: string): Promise<void> {
    const route = this.routes.applyCustomization(vmId, specName);
    if (route === undefined) throw customizationUnsupported(this.server, specName);
    await this.run(`apply guest customization '${specName}' to VM ${vmId}`, route, ignore);
  }

  // ---- inventory ----

  listInventory(kind: T.InventoryKind, filter: T.InventoryFilter): Promise<T.InventoryRef[]> {
    return this.run(`list ${kind}s`, this.routes.listInventory(kind, filter), (ctx, v) =>
      wire.inventoryFromWire(ctx, kind, v ?? []),
    );
  }

  async logout(): Promise<void> {
    try {
      if (this.client.hasSession) {
        await this.client.call({ op: 'log out', method: 'DELETE', path: this.routes.sessionPath });
      }
    } finally {
      this.client.setSession(undefined);
      this.client.close();
    }
  }
}
