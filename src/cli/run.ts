// Lets Ctrl-C interrupt long work that resumes: the command's work is aborted with an error saying how to go on.

import { ClaasError } from '../errors.js';

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
