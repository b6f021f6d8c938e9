// How long commands wait on an S3 store that stops answering, from --store-timeout and the environment
// (CLAAS_STORE_TIMEOUT, CLAAS_STORE_STALL_NOTICE), and the stall notice printed meanwhile (on stderr,
// unless --quiet). The watchdog itself is src/store/s3-watchdog.ts.

import { configureStoreWatchdog, describeStall } from '../store/s3-watchdog.js';
import { parseDuration } from './options.js';
import type { CliIo } from './io.js';

export const STORE_TIMEOUT_ENV = 'CLAAS_STORE_TIMEOUT';
export const STALL_NOTICE_ENV = 'CLAAS_STORE_STALL_NOTICE';

export function watchStores(
  flags: { storeTimeout?: string },
  io: Pick<CliIo, 'note'>,
  env: NodeJS.ProcessEnv = process.env,
): void {
  const timeout = flags.storeTimeout ?? env[STORE_TIMEOUT_ENV];
  const notice = env[STALL_NOTICE_ENV];
  configureStoreWatchdog({
    ...(timeout
      ? { timeoutMs: parseDuration(timeout, flags.storeTimeout ? '--store-timeout' : STORE_TIMEOUT_ENV) }
      : {}),
    ...(notice ? { stallNoticeMs: parseDuration(notice, STALL_NOTICE_ENV) } : {}),
    onStall: (n) => io.note(`claas: ${describeStall(n)}`),
  });
}
