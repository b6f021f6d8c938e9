// Turns file-system errors on source paths into ClaasErrors that name the path and say what to do.

import { ClaasError } from '../errors.js';

/** Maps a Node fs error about path to NOT_FOUND / BAD_INPUT; ClaasErrors and aborts pass through. */
export function fsError(e: unknown, path: string, doing = 'read'): unknown {
  if (e instanceof ClaasError || (e as Error | undefined)?.name === 'AbortError') return e;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return new ClaasError('NOT_FOUND', `${path} does not exist`, {
        input: path,
        hint: 'check the path (it may have been moved or deleted while claas was reading)',
        cause: e,
      });
    case 'EACCES':
    case 'EPERM':
      return new ClaasError('BAD_INPUT', `cannot ${doing} ${path}: permission denied`, {
        input: path,
        hint: 'check permissions: the user running claas must be able to read it',
        cause: e,
      });
    case 'ENOTDIR':
      return new ClaasError('BAD_INPUT', `${path} is not a folder`, { input: path, cause: e });
    case 'ELOOP':
      return new ClaasError('BAD_INPUT', `${path} is a symbolic link loop`, {
        input: path,
        hint: 'fix or remove the link',
        cause: e,
      });
    default:
      if (code === undefined) return e;
      return new ClaasError('BAD_INPUT', `cannot ${doing} ${path}: ${(e as Error).message}`, {
        input: path,
        hint: 'check the file and the disk it is on',
        cause: e,
      });
  }
}
