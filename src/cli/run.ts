// Runs a command body with consistent error handling and exit codes.

import { reportError } from './output.js';
import type { OutputMode } from './output.js';

export async function runCommand(
  flags: { json?: boolean; quiet?: boolean },
  body: (mode: OutputMode) => Promise<number>,
): Promise<void> {
  const mode: OutputMode = { json: flags.json ?? false, quiet: flags.quiet ?? false };
  try {
    process.exitCode = await body(mode);
  } catch (e) {
    process.exitCode = reportError(mode, e);
  }
}
