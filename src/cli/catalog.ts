// Every claas command, in `claas --help` order: single verbs (`claas publish`) and groups of verbs
// (`claas archive snapshot`). A verb's module is loaded only when that verb runs: a command's dependencies
// (the AWS SDK, the gateway, the vCenter client) cost start-up time, which a no-op publish would otherwise
// mostly be.

import type { Command } from 'commander';
import { addVerb } from './verb.js';
import type { AnyVerb } from './verb.js';

type Load = () => Promise<AnyVerb>;

export interface Group {
  description: string;
  verbs: Record<string, Load>;
}

export const COMMANDS: Record<string, Load | Group> = {
  publish: async () => (await import('./commands/publish.js')).verb,
  serve: async () => (await import('./commands/serve.js')).verb,
  verify: async () => (await import('./commands/verify.js')).verb,
  gc: async () => (await import('./commands/gc.js')).verb,
  demo: async () => (await import('./commands/demo.js')).verb,
  replication: {
    description: 'native replication of the library (AWS S3 replication, Ceph multisite): plan it, apply it',
    verbs: {
      plan: async () => (await import('./commands/replication/plan.js')).verb,
      apply: async () => (await import('./commands/replication/apply.js')).verb,
    },
  },
  mirror: async () => (await import('./commands/mirror.js')).verb,
  status: async () => (await import('./commands/status.js')).verb,
  gateway: async () => (await import('./commands/gateway.js')).verb,
  run: async () => (await import('./commands/run.js')).verb,
  tenant: {
    description: "manage the gateway's tenants: who may read which libraries, each with its own password",
    verbs: {
      add: async () => (await import('./commands/tenant/add.js')).verb,
      rotate: async () => (await import('./commands/tenant/rotate.js')).verb,
      update: async () => (await import('./commands/tenant/update.js')).verb,
      remove: async () => (await import('./commands/tenant/remove.js')).verb,
      list: async () => (await import('./commands/tenant/list.js')).verb,
      import: async () => (await import('./commands/tenant/import.js')).verb,
    },
  },
  access: {
    description: 'credentials and policies for claas roles',
    verbs: { policy: async () => (await import('./commands/access/policy.js')).verb },
  },
  import: {
    description: 'publish a library read from a vCenter or from any VCSP endpoint into a library location',
    verbs: {
      vcenter: async () => (await import('./commands/import/vcenter.js')).verb,
      vcsp: async () => (await import('./commands/import/vcsp.js')).verb,
    },
  },
  subscribe: async () => (await import('./commands/subscribe.js')).verb,
  deploy: async () => (await import('./commands/deploy.js')).verb,
  history: async () => (await import('./commands/history.js')).verb,
  rollback: async () => (await import('./commands/rollback.js')).verb,
  audit: async () => (await import('./commands/audit.js')).verb,
  archive: {
    description:
      'copy library versions to an archive location, list, verify and restore them; retain versions',
    verbs: {
      snapshot: async () => (await import('./commands/archive/snapshot.js')).verb,
      list: async () => (await import('./commands/archive/list.js')).verb,
      verify: async () => (await import('./commands/archive/verify.js')).verb,
      restore: async () => (await import('./commands/archive/restore.js')).verb,
      retain: async () => (await import('./commands/archive/retain.js')).verb,
      release: async () => (await import('./commands/archive/release.js')).verb,
    },
  },
  lifecycle: {
    description:
      "lifecycle rules for the library's bucket: abort stale uploads, expire old versions, tier archives",
    verbs: {
      plan: async () => (await import('./commands/lifecycle/plan.js')).verb,
      apply: async () => (await import('./commands/lifecycle/apply.js')).verb,
    },
  },
};

function isGroup(entry: Load | Group): entry is Group {
  return typeof entry !== 'function';
}

/** Every verb with the words that run it (`['archive', 'snapshot']`), all loaded. */
export async function allVerbs(): Promise<Array<{ words: string[]; verb: AnyVerb }>> {
  const out: Array<{ words: string[]; verb: AnyVerb }> = [];
  for (const [name, entry] of Object.entries(COMMANDS)) {
    if (!isGroup(entry)) out.push({ words: [name], verb: await entry() });
    else
      for (const [v, load] of Object.entries(entry.verbs)) out.push({ words: [name, v], verb: await load() });
  }
  return out;
}

/** The first word that is not an option, and the one after it. */
function commandWords(args: string[]): [string | undefined, string | undefined] {
  const i = args.findIndex((a) => !a.startsWith('-'));
  if (i < 0) return [undefined, undefined];
  const next = args[i + 1];
  return [args[i], next === undefined || next.startsWith('-') ? undefined : next];
}

/**
 * Registers the commands args need: only the verb that runs when args name one; every verb of a group for
 * `claas archive --help` or a verb the group lacks; everything for `claas --help`, `help`, or a typo, so that
 * help and "did you mean" see them all.
 */
export async function registerFor(program: Command, args: string[]): Promise<void> {
  const [word, verbWord] = commandWords(args);
  const chosen = word !== undefined && Object.hasOwn(COMMANDS, word) ? [word] : Object.keys(COMMANDS);
  const loads = chosen.map((name) => {
    const entry = COMMANDS[name]!;
    if (!isGroup(entry)) return entry().then((verb) => () => addVerb(program, verb));
    const names =
      verbWord !== undefined && chosen.length === 1 && Object.hasOwn(entry.verbs, verbWord)
        ? [verbWord]
        : Object.keys(entry.verbs);
    return Promise.all(names.map((v) => entry.verbs[v]!())).then((verbs) => () => {
      const group = program.command(name).description(entry.description);
      for (const verb of verbs) addVerb(group, verb);
    });
  });
  // Loaded in parallel, registered in catalog order.
  for (const register of await Promise.all(loads)) register();
}
