// `claas archive release <versions...>`: remove retention markers; the versions go at a later gc once they
// are outside the grace period (a keep-last / keep-all rule still applies).

import type { Command } from 'commander';
import { appendAudit } from '../../../publish/audit.js';
import { resolveActor } from '../../../publish/identity.js';
import { readRetention, releaseVersions } from '../../../publish/retain.js';
import { openTargetStore, resolveTarget } from '../../../archive/target.js';
import type { TargetFlags } from '../../../archive/target.js';
import { addTargetFlags } from '../../flags.js';
import type { CliIo } from '../../io.js';
import { targetFlags } from '../../options.js';
import type { Verb } from '../../verb.js';
import { parseVersions } from './shared.js';

export interface ReleaseOptions {
  target: TargetFlags;
  versions: number[];
}

export function define(cmd: Command): void {
  cmd.argument('<versions...>', 'library versions');
  addTargetFlags(cmd);
}

export function parse([versions]: [string[]], flags: TargetFlags): ReleaseOptions {
  return { target: targetFlags(flags), versions: parseVersions(versions) };
}

export async function run(o: ReleaseOptions, io: CliIo): Promise<number> {
  const target = await resolveTarget(o.target);
  const store = await openTargetStore(target);
  await releaseVersions(store, o.versions);
  const actor = await resolveActor(store);
  await appendAudit(store, {
    action: 'retain',
    actor,
    summary: `retention released for versions ${o.versions.join(', ')}`,
    details: { released: o.versions },
  });
  const r = await readRetention(store);
  if (io.json) {
    io.printJson({ ok: true, location: target.display, released: o.versions, ...r });
    return 0;
  }
  io.say(
    `released versions ${o.versions.join(', ')}; versions still kept: ${r.versions.join(', ') || 'none'}`,
  );
  if (r.policy !== undefined) {
    io.note('note: the retention rule still applies (claas archive retain --no-rule removes it)');
  }
  return 0;
}

export const verb: Verb<ReleaseOptions, TargetFlags, [string[]]> = {
  name: 'release',
  description: 'remove retention markers: the versions go at a later gc once outside the grace period',
  define,
  parse,
  run,
};
