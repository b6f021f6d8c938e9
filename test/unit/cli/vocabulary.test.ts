// Every command, loaded from the catalog: --json and --quiet everywhere, defaults shown one way in --help, one
// meaning per flag across commands, and only the verb that runs registered (start-up stays light).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Command } from 'commander';
import type { Option } from 'commander';
import { allVerbs, registerFor } from '../../../src/cli/catalog.js';
import { HELP_CONFIG } from '../../../src/cli/help.js';
import { standalone } from '../../../src/cli/verb.js';

const verbs = await allVerbs();

function visibleOptions(cmd: Command): Option[] {
  return cmd.options.filter((o) => !o.hidden);
}

describe('every command', () => {
  test('is in the catalog (a sanity check on the count)', () => {
    assert.ok(verbs.length >= 31, `${verbs.length} verbs`);
  });

  for (const { words, verb } of verbs) {
    test(`claas ${words.join(' ')}: --json, --quiet, defaults shown by help.ts only`, () => {
      const cmd = standalone(verb).configureHelp(HELP_CONFIG);
      const longs = cmd.options.map((o) => o.long);
      assert.ok(longs.includes('--json'), 'has --json');
      assert.ok(longs.includes('--quiet'), 'has --quiet');
      for (const o of visibleOptions(cmd)) {
        assert.doesNotMatch(
          o.description,
          /\(default[ :]/,
          `${o.long}: a default written into the description`,
        );
      }
      const help = cmd.helpInformation();
      assert.doesNotMatch(help, /\(default: "/, 'defaults are shown unquoted');
    });
  }
});

describe('one meaning per flag', () => {
  /** long flag -> the value placeholders it has, and the commands. */
  const uses = new Map<string, { flags: Set<string>; where: string[] }>();
  for (const { words, verb } of verbs) {
    for (const o of visibleOptions(standalone(verb))) {
      const use = uses.get(o.long!) ?? { flags: new Set<string>(), where: [] };
      use.flags.add(o.flags.replace(/^-\w, /, ''));
      use.where.push(words.join(' '));
      uses.set(o.long!, use);
    }
  }

  test('--to is a location the command writes; --archive the archive it reads', () => {
    assert.deepEqual([...uses.get('--to')!.flags], ['--to <location>']);
    assert.deepEqual([...uses.get('--archive')!.flags], ['--archive <location>']);
  });

  test('--listen is host:port wherever a command listens; --host is no listen address any more', () => {
    assert.deepEqual([...uses.get('--listen')!.flags], ['--listen <host:port>']);
    assert.deepEqual(uses.get('--listen')!.where.sort(), ['demo', 'gateway', 'run', 'serve']);
    assert.equal(uses.get('--host'), undefined);
  });

  test("--thumbprint and --ca-file are a publisher's certificate; the vCenter's are --vcenter-*", () => {
    const withServer = new Set(uses.get('--server')!.where);
    for (const flag of ['--thumbprint', '--ca-file']) {
      for (const w of uses.get(flag)!.where)
        assert.ok(!withServer.has(w), `${flag} on ${w}, a vCenter command`);
    }
    assert.deepEqual(uses.get('--vcenter-thumbprint')!.where.sort(), [...withServer].sort());
  });

  test('each flag has one value form everywhere', () => {
    for (const [long, use] of uses) assert.equal(use.flags.size, 1, `${long}: ${[...use.flags].join(' | ')}`);
  });
});

describe('registerFor', () => {
  const registered = async (args: string[]): Promise<string[]> => {
    const program = new Command();
    await registerFor(program, args);
    return program.commands.flatMap((c) =>
      c.commands.length === 0 ? [c.name()] : c.commands.map((s) => `${c.name()} ${s.name()}`),
    );
  };

  test('only the verb that runs', async () => {
    assert.deepEqual(await registered(['publish', './templates', '--to', '/srv/lib']), ['publish']);
    assert.deepEqual(await registered(['archive', 'snapshot', '--config', 'c.yaml']), ['archive snapshot']);
  });

  test('every verb of a group for its help or an unknown verb; everything for --help or a typo', async () => {
    assert.equal((await registered(['archive', '--help'])).length, 6);
    assert.equal((await registered(['archive', 'snapshto'])).length, 6);
    assert.equal((await registered(['--help'])).length, verbs.length);
    assert.equal((await registered(['pubish'])).length, verbs.length);
  });
});
