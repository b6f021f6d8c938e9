// Runs a command body with consistent error handling and exit codes, and lets Ctrl-C interrupt long work.

import { ClaasError } from '../errors.js';
import { reportError } from './output.js';
import type { OutputMode } from './output.js';
import { watchStores } from './store-watchdog.js';

export async function runCommand(
  flags: { json?: boolean; quiet?: boolean; storeTimeout?: string },
  body: (mode: OutputMode) => Promise<number>,
): Promise<void> {
  const mode: OutputMode = { json: flags.json ?? false, quiet: flags.quiet ?? false };
  try {
    watchStores(flags, mode);
    process.exitCode = await body(mode);
  } catch (e) {
    process.exitCode = reportError(mode, e);
  }
}

/**
 * An AbortController that Ctrl-C (SIGINT) and SIGTERM abort with an error saying how to go on, for
 * commands whose work resumes; `dispose()` removes the handlers (call it in a finally).
 */
export function abortOnInterrupt(nextStep = 'run the same command again to resume'): {
  controller: AbortController;
  dispose(): void;
} {
  const controller = new AbortController();
  const onSignal = (): void => controller.abort(new ClaasError('INTERNAL', `interrupted; ${nextStep}`));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    controller,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
