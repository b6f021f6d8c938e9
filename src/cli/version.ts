// claas's own version, from package.json (read once; dist/src/cli/version.js sits three levels below it).

import { createRequire } from 'node:module';

export const CLAAS_VERSION = (createRequire(import.meta.url)('../../../package.json') as { version: string })
  .version;
