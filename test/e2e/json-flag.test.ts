// The README promises `--json` on the commands: every command and subcommand the CLI lists (its --help,
// as a user reads it) takes --json, or the README names it as one that does not.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../helpers/cli.js';
import { mapLimited } from '../../src/util/pool.js';

/** The repository, resolved from dist/test/e2e. */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The command words a --help text lists under "Commands:" (without `help`). */
function commandsIn(help: string): string[] {
  const section = help.split(/^Commands:$/m)[1] ?? '';
  return [...section.matchAll(/^ {2}([a-z][a-z-]*)\b/gm)].map((m) => m[1]!).filter((c) => c !== 'help');
}

async function helpOf(words: string[]): Promise<string> {
  const r = await runCli([...words, '--help']);
  assert.equal(r.code, 0, `claas ${words.join(' ')} --help: ${r.stderr}`);
  return r.stdout;
}

test('every command takes --json, or the README says it does not', async () => {
  const top = commandsIn(await helpOf([]));
  assert.ok(top.length > 10, 'claas --help lists the commands');
  const leaves = (
    await mapLimited(top, 4, async (word) => {
      const help = await helpOf([word]);
      const subs = commandsIn(help);
      return subs.length === 0
        ? [{ words: [word], help }]
        : subs.map((sub) => ({ words: [word, sub], help: '' }));
    })
  ).flat();
  const withHelp = await mapLimited(leaves, 4, async (l) => ({
    name: l.words.join(' '),
    help: l.help || (await helpOf(l.words)),
  }));
  const lacking = withHelp.filter((c) => !/^\s+--json\b/m.test(c.help)).map((c) => c.name);

  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const promise =
    readme.split(/\n\s*\n/).find((p) => p.includes('`--json`') && /\bcommands?\b/i.test(p)) ?? '';
  assert.ok(promise !== '', 'the README says which commands take --json');
  const unnamed = lacking.filter((name) => !promise.replace(/\s+/g, ' ').includes(`\`claas ${name}\``));
  assert.deepEqual(unnamed, [], `commands without --json that the README does not name: ${promise}`);
});
