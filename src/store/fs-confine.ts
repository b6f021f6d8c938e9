// Keeps a local library's readers and writers inside its folder: a symbolic link anywhere below the root
// (a linked folder, not only a linked file) must not let a key reach a file outside it. Files are opened
// without following a final link, then the location actually opened is checked: on Linux the kernel's own
// path of the open file (/proc/self/fd), elsewhere the resolved path and the same file (device and inode).

import { constants } from 'node:fs';
import type { Stats } from 'node:fs';
import { lstat, open, readlink, realpath, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname, sep } from 'node:path';

function isMissing(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP';
}

export class Confinement {
  private real: Promise<string> | undefined;

  constructor(private readonly root: string) {}

  /** The library root with its own links resolved (the root itself may be a link: the user chose it). */
  private async realRoot(): Promise<string> {
    this.real ??= realpath(this.root).catch((e: unknown) => {
      this.real = undefined; // not there yet: ask again next time
      throw e;
    });
    return this.real;
  }

  private async inside(real: string): Promise<boolean> {
    const root = await this.realRoot();
    return real === root || real.startsWith(root.endsWith(sep) ? root : root + sep);
  }

  /**
   * Opens a regular file for reading when it lies inside the root; undefined when it is missing, is not a
   * regular file, is a link, or lies (through a linked folder) outside the root.
   */
  async openFile(path: string): Promise<{ fh: FileHandle; st: Stats } | undefined> {
    let fh: FileHandle;
    try {
      fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw e;
    }
    try {
      const st = await fh.stat();
      if (st.isFile() && (await this.opened(fh, path, st))) return { fh, st };
    } catch (e) {
      await fh.close();
      if (isMissing(e)) return undefined;
      throw e;
    }
    await fh.close();
    return undefined;
  }

  /** Whether the file open as fh (opened by path) is one inside the root. */
  private async opened(fh: FileHandle, path: string, st: Stats): Promise<boolean> {
    let real: string | undefined;
    try {
      real = await readlink(`/proc/self/fd/${fh.fd}`);
    } catch {
      real = undefined; // no /proc: resolve the path, and check that it names the very file opened
    }
    if (real !== undefined && real.startsWith('/')) return this.inside(real);
    const resolved = await realpath(path);
    if (!(await this.inside(resolved))) return false;
    const again = await lstat(resolved);
    return again.dev === st.dev && again.ino === st.ino;
  }

  /** The stat of a regular file (not a link) inside the root; undefined when missing or outside. */
  async statFile(path: string): Promise<Stats | undefined> {
    try {
      const st = await lstat(path);
      if (!st.isFile()) return undefined;
      return (await this.inside(await realpath(path))) ? st : undefined;
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw e;
    }
  }

  /**
   * Whether the folder that holds path (or, when it does not exist yet, its nearest existing ancestor) is
   * inside the root: a write or delete there stays in the library.
   */
  async parentInside(path: string): Promise<boolean> {
    try {
      await this.realRoot();
    } catch (e) {
      if (isMissing(e)) return true; // no root yet: nothing below it, so no link either
      throw e;
    }
    for (let dir = dirname(path); dir.length >= this.root.length; dir = dirname(dir)) {
      try {
        return await this.inside(await realpath(dir));
      } catch (e) {
        if (!isMissing(e)) throw e;
      }
    }
    return true; // only the root exists on the way: it was resolved above
  }

  /** Stats a folder only if it is a real folder inside the root (for listing). */
  async isInsideDir(path: string): Promise<boolean> {
    try {
      return (await stat(path)).isDirectory() && (await this.inside(await realpath(path)));
    } catch (e) {
      if (isMissing(e)) return false;
      throw e;
    }
  }
}
