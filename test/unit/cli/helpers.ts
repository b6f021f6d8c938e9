// Helpers of the CLI unit tests: an output sink that keeps what a verb prints, and a small library in a
// temporary folder made with the demo samples and the publish function.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { writeSampleSource } from '../../../src/demo/samples.js';
import { publish } from '../../../src/publish/publish.js';
import { readFolderSource } from '../../../src/sources/folder.js';
import { openStore } from '../../../src/store/open.js';
import type { Writer } from '../../../src/cli/io.js';

export interface Captured {
  streams: { stdout: Writer; stderr: Writer };
  stdout(): string;
  stderr(): string;
}

/** Writers that keep the text (not a terminal: no progress bars). */
export function capture(): Captured {
  let out = '';
  let err = '';
  return {
    streams: {
      stdout: { write: (t: string) => (out += t) },
      stderr: { write: (t: string) => (err += t) },
    },
    stdout: () => out,
    stderr: () => err,
  };
}

/** A temporary folder with a sample library (<dir>/library) for the tests of a file, removed afterwards. */
export function useSampleLibrary(): { dir: () => string; library: () => string } {
  let dir: string | undefined;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'claas-cli-'));
    await sampleLibrary(dir);
  });
  after(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });
  const made = (): string => {
    if (dir === undefined) throw new Error('the sample library is not made yet');
    return dir;
  };
  return { dir: made, library: () => join(made(), 'library') };
}

/** Publishes a folder (again) as the library "cli-test". */
export async function publishFolder(source: string, library: string): Promise<void> {
  const input = await readFolderSource(source, { cacheFile: null });
  await publish(input, { store: await openStore({ kind: 'fs', path: library }), name: 'cli-test' });
}

/** Publishes the demo samples (an OVF template, an ISO, a text file) from <dir>/source to <dir>/library. */
export async function sampleLibrary(dir: string): Promise<string> {
  const library = join(dir, 'library');
  await writeSampleSource(join(dir, 'source'));
  await publishFolder(join(dir, 'source'), library);
  return library;
}
