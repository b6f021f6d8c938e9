// A bounded wait on work that takes no signal of its own: the promise's result, or a ClaasError
// UNREACHABLE once `ms` have passed (the work is left running; pass it a signal too where it takes one).
// The timer holds the process open until the work settles or the deadline passes, so a wait on work that
// never settles still ends with the error.

import { ClaasError } from '../errors.js';

export async function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new ClaasError('UNREACHABLE', `${what} did not answer within ${ms / 1000} s`, { input: what }),
        ),
      ms,
    );
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}
