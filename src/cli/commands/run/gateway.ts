// The gateway `claas run` serves in the same process when its configuration files configure one
// (`gateway:`): started exactly as `claas gateway --config ...` starts it (its defaults for everything
// else), with the status of the run's sources for the dashboard's Sources panel.

import type { Logger } from 'pino';
import type { ClaasConfig } from '../../../config/schema.js';
import type { RunSourcesProvider } from '../../../gateway/admin/run-sources.js';
import { withMode } from '../../io.js';
import type { CliIo } from '../../io.js';
import { parseArgv } from '../../verb.js';
import { serveGateway, verb as gatewayVerb } from '../gateway.js';
import type { GatewayOptions, ServedGateway } from '../gateway.js';

/** The options `claas gateway --config <each file>` runs with. */
export function gatewayOptions(paths: readonly string[]): GatewayOptions {
  return parseArgv(
    gatewayVerb,
    paths.flatMap((p) => ['--config', p]),
  ).options;
}

/**
 * Serves the gateway when a configuration has a `gateway:` section (undefined otherwise). With --json the
 * gateway's summary is not printed (stdout carries one event per line); its URLs are logged.
 */
export async function serveRunGateway(
  configs: readonly ClaasConfig[],
  paths: readonly string[],
  io: CliIo,
  log: Logger,
  sources: RunSourcesProvider,
): Promise<ServedGateway | undefined> {
  if (!configs.some((c) => c.gateway !== undefined)) return undefined;
  const summaryIo = io.json ? withMode(io, { json: false, quiet: true }) : io;
  const served = await serveGateway(gatewayOptions(paths), summaryIo, log, sources);
  log.info({ urls: served.running.gateway.urls() }, 'gateway serving');
  return served;
}
