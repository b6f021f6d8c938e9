// `claas run` in-process: its flags (repeatable --config, --listen, durations, refusals), what it prints
// per event (one JSON RunEvent per line with --json, a line for people otherwise, nothing for idle polls),
// the JSON log, and the signal handling around a stand-in service (SIGHUP reload kept or refused, SIGTERM
// stop with the drain time, the forced exit). The real service is exercised in test/integration/run-cli*.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import pino from 'pino';
import { verb as runVerb } from '../../../src/cli/commands/run.js';
import type { RunOptions } from '../../../src/cli/commands/run.js';
import { describeEvent, eventPrinter } from '../../../src/cli/commands/run/events.js';
import { loadRunConfigs } from '../../../src/cli/commands/run/configs.js';
import { holdSignals, reloadConfigs, untilStopped } from '../../../src/cli/commands/run/signals.js';
import type { RunningService } from '../../../src/cli/commands/run/signals.js';
import { createIo } from '../../../src/cli/io.js';
import { parseArgv } from '../../../src/cli/verb.js';
import type { ClaasConfig } from '../../../src/config/schema.js';
import type { RunEvent } from '../../../src/run/types.js';
import { capture } from './helpers.js';

const parse = (argv: string[]): RunOptions => parseArgv(runVerb, argv).options;

describe('parse', () => {
  test('defaults: claas.yaml, no HTTP server, deletions guarded, 30 s drain, the service lease', () => {
    assert.deepEqual(parse([]), { configs: ['claas.yaml'], allowDelete: false, drainMs: 30_000 });
  });

  test('--config repeats; --listen, --allow-delete, --drain-timeout and --lease-ttl are read', () => {
    const o = parse([
      '--config',
      'a.yaml',
      '--config',
      'b.yaml',
      '--listen',
      '[::1]:9464',
      '--allow-delete',
      '--drain-timeout',
      '2m',
      '--lease-ttl',
      '90s',
    ]);
    assert.deepEqual(o, {
      configs: ['a.yaml', 'b.yaml'],
      listen: { host: '::1', port: 9464 },
      allowDelete: true,
      drainMs: 120_000,
      leaseTtlMs: 90_000,
    });
    assert.deepEqual(
      parse(['--drain-timeout', '0']).drainMs,
      0,
      '0: abandon the version in progress at once',
    );
  });

  test('bad values name the flag', () => {
    assert.throws(() => parse(['--drain-timeout', 'soon']), /--drain-timeout takes a duration/);
    assert.throws(() => parse(['--lease-ttl', '500ms']), /--lease-ttl must be at least 1s/);
    assert.throws(() => parse(['--listen', '9464']), /--listen takes host:port/);
    assert.throws(() => parse(['--watch']), /unknown option/);
  });
});

const published: RunEvent = {
  type: 'published',
  library: 'golden',
  version: 8,
  sources: ['/srv/templates'],
  added: ['rhel-9'],
  changed: ['a', 'b', 'c', 'd', 'e', 'f', 'g'],
  removed: [],
  bytes: 3 * 1024 * 1024,
};

function memoryLog(): { log: pino.Logger; lines: () => Record<string, unknown>[] } {
  let text = '';
  const log = pino({ base: undefined }, { write: (s: string) => void (text += s) });
  return {
    log,
    lines: () =>
      text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('events', () => {
  const at = () => new Date('2026-12-04T10:00:00.000Z');

  test('--json: one JSON RunEvent per line on stdout, with its time; every event, idle polls too', () => {
    const c = capture();
    const { log } = memoryLog();
    const sink = eventPrinter(createIo({ json: true, quiet: false }, c.streams), log, at);
    const idle: RunEvent = {
      type: 'poll',
      library: 'golden',
      source: '/srv/t',
      ok: true,
      items: 3,
      changed: false,
    };
    sink(idle);
    sink(published);
    const lines = c.stdout().trimEnd().split('\n');
    assert.equal(lines.length, 2);
    assert.deepEqual(JSON.parse(lines[0]!), { at: '2026-12-04T10:00:00.000Z', ...idle });
    assert.deepEqual(JSON.parse(lines[1]!), { at: '2026-12-04T10:00:00.000Z', ...published });
    assert.equal(c.stderr(), '');
  });

  test('text: a line per event for people, none for a poll that saw nothing; -q prints nothing', () => {
    const c = capture();
    const { log } = memoryLog();
    const sink = eventPrinter(createIo({ json: false, quiet: false }, c.streams), log, at);
    sink({ type: 'poll', library: 'golden', source: '/srv/t', ok: true, items: 3, changed: false });
    sink(published);
    sink({
      type: 'reload',
      ok: false,
      problem: { code: 'BAD_INPUT', message: 'a.yaml:3:5: origin: required', at: '' },
    });
    assert.deepEqual(c.stdout().trimEnd().split('\n'), [
      'golden: published version 8 from /srv/templates: added rhel-9; changed a, b, c, d, e and 2 more (3.0 MiB uploaded)',
      'reload refused, the previous configuration keeps running: a.yaml:3:5: origin: required',
    ]);

    const q = capture();
    const quiet = eventPrinter(createIo({ json: false, quiet: true }, q.streams), memoryLog().log, at);
    quiet(published);
    assert.equal(q.stdout(), '');
  });

  test('names from sources cannot forge lines on the terminal', () => {
    const c = capture();
    const sink = eventPrinter(createIo({ json: false, quiet: false }, c.streams), memoryLog().log, at);
    sink({ type: 'vmtx', library: 'golden', source: 'vc', items: ['evil\nerror: forged\u001b[2J'] });
    assert.equal(c.stdout().split('\n').length, 2, 'one line');
    assert.doesNotMatch(c.stdout(), /\u001b/);
  });

  test('the JSON log: one line per change applied, naming library, sources, items and version', () => {
    const { log, lines } = memoryLog();
    const sink = eventPrinter(createIo({ json: false, quiet: true }, capture().streams), log, at);
    sink({ type: 'poll', library: 'golden', source: '/srv/t', ok: true, items: 3, changed: false });
    sink(published);
    const logged = lines();
    assert.equal(logged.length, 1, 'idle polls are not logged at the default level');
    assert.equal(logged[0]!.msg, 'change applied');
    assert.equal(logged[0]!.event, 'published');
    assert.equal(logged[0]!.library, 'golden');
    assert.equal(logged[0]!.version, 8);
    assert.deepEqual(logged[0]!.sources, ['/srv/templates']);
    assert.deepEqual(logged[0]!.added, ['rhel-9']);
  });

  test('every event type has a line or a reason not to print one', () => {
    assert.equal(
      describeEvent({ type: 'listening', url: 'http://127.0.0.1:9464' }),
      'health: http://127.0.0.1:9464/healthz   metrics: http://127.0.0.1:9464/metrics',
    );
    assert.match(
      describeEvent({ type: 'role', library: 'golden', role: 'standby', holder: 'host-b' }) ?? '',
      /standby while host-b publishes/,
    );
    assert.match(
      describeEvent({
        type: 'poll',
        library: 'g',
        source: 's',
        ok: false,
        problem: { code: 'UNREACHABLE', message: 'down', hint: 'start it', at: '' },
      }) ?? '',
      /poll failed: down \(fix: start it\)/,
    );
    assert.equal(describeEvent({ type: 'stop', reason: 'SIGTERM' }), 'stopping (SIGTERM)');
  });
});

const GOOD_YAML = (library: string): string =>
  `library: ${library}\norigin:\n  location: s3://bucket/${library}\n  endpoint: http://127.0.0.1:1\n`;

describe('configuration files and signals', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'claas-run-cli-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.removeAllListeners(s);
  });

  test('loading: every file; a bad one named with line and column, all problems at once', async () => {
    await writeFile(join(dir, 'a.yaml'), GOOD_YAML('a'));
    await writeFile(
      join(dir, 'bad.yaml'),
      'library: b\norigin:\n  location: s3://bucket/b\n  colour: blue\n',
    );
    const configs = await loadRunConfigs([join(dir, 'a.yaml')]);
    assert.deepEqual(
      configs.map((c) => c.library),
      ['a'],
    );
    await assert.rejects(
      loadRunConfigs([join(dir, 'a.yaml'), join(dir, 'bad.yaml'), join(dir, 'gone.yaml')]),
      (e: Error & { messageLines(): string[] }) => {
        const lines = e.messageLines();
        assert.equal(lines.length, 2, lines.join('\n'));
        assert.match(lines[0]!, /bad\.yaml:4:3: origin/);
        assert.match(lines[1]!, /gone\.yaml: cannot read the configuration file/);
        return true;
      },
    );
  });

  function fakeService() {
    const calls: string[] = [];
    let reloaded: ClaasConfig[] | undefined;
    let finishStop: () => void = () => undefined;
    const stopped = new Promise<void>((resolve) => (finishStop = resolve));
    return {
      calls,
      reloaded: () => reloaded,
      finishStop,
      service: {
        async reload(configs: ClaasConfig[]) {
          calls.push('reload');
          reloaded = configs;
        },
        async stop(reason: string) {
          calls.push(`stop ${reason}`);
          await stopped;
        },
      },
    };
  }

  function running(
    fake: ReturnType<typeof fakeService>,
    events: RunEvent[],
    extra: Partial<RunningService> = {},
  ): RunningService {
    return {
      service: fake.service,
      paths: [join(dir, 'a.yaml')],
      log: memoryLog().log,
      emit: (e) => events.push(e),
      drainMs: 30_000,
      alongside: [],
      exit: () => assert.fail('no forced exit expected'),
      ...extra,
    };
  }

  test('reload: a good configuration goes to the service; a bad one is refused with file:line:column', async () => {
    const fake = fakeService();
    const events: RunEvent[] = [];
    await writeFile(join(dir, 'a.yaml'), GOOD_YAML('a'));
    assert.equal(await reloadConfigs(running(fake, events)), true);
    assert.deepEqual(
      fake.reloaded()?.map((c) => c.library),
      ['a'],
    );
    assert.deepEqual(events, [], 'the service reports its own reload');

    await writeFile(join(dir, 'a.yaml'), 'library: a\norigin: [\n');
    assert.equal(await reloadConfigs(running(fake, events)), false);
    assert.deepEqual(fake.calls, ['reload'], 'the service is not asked');
    const refused = events[0] as Extract<RunEvent, { type: 'reload' }> | undefined;
    assert.equal(refused?.ok, false);
    assert.match(refused?.problem?.message ?? '', /a\.yaml:\d+:\d+/);
    assert.equal(refused?.problem?.code, 'BAD_INPUT');
  });

  test('reload: a configuration the service refuses (and reports itself) is not thrown nor reported twice', async () => {
    const fake = fakeService();
    fake.service.reload = async () => {
      throw Object.assign(new Error('two sources offer item "x"'), { code: 'BAD_INPUT' });
    };
    const events: RunEvent[] = [];
    await writeFile(join(dir, 'a.yaml'), GOOD_YAML('a'));
    assert.equal(await reloadConfigs(running(fake, events)), false);
    assert.deepEqual(events, []);
  });

  test('SIGTERM: the service and what runs beside it stop with the drain time; resolves once all stopped', async () => {
    const fake = fakeService();
    const beside: number[] = [];
    const r = running(fake, [], { drainMs: 1234, alongside: [async (ms) => void beside.push(ms)] });
    const stopped = untilStopped(r);
    process.emit('SIGTERM');
    assert.deepEqual(fake.calls, ['stop SIGTERM']);
    assert.deepEqual(beside, [1234]);
    let done = false;
    void stopped.then(() => (done = true));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(done, false, 'waits for the service');
    fake.finishStop();
    assert.equal(await stopped, 'SIGTERM');
  });

  test('a stop that outlasts the drain time ends the process with 0; so does a second signal', async () => {
    const slow = fakeService();
    const exits: number[] = [];
    let exited: () => void = () => undefined;
    const forced = new Promise<void>((resolve) => (exited = resolve));
    void untilStopped(
      running(slow, [], {
        drainMs: 0,
        forceExitGraceMs: 0,
        exit: (code) => {
          exits.push(code);
          exited();
        },
      }),
    );
    process.emit('SIGINT');
    const alive = setInterval(() => undefined, 1000); // the force timer does not hold the process itself
    await forced;
    clearInterval(alive);
    assert.deepEqual(exits, [0]);
    assert.deepEqual(slow.calls, ['stop SIGINT']);

    process.removeAllListeners('SIGINT');
    process.removeAllListeners('SIGTERM');
    const again = fakeService();
    const twice: number[] = [];
    void untilStopped(running(again, [], { exit: (code) => void twice.push(code) }));
    process.emit('SIGTERM');
    process.emit('SIGTERM');
    assert.deepEqual(twice, [0]);
  });
});

describe('signals during start-up', () => {
  afterEach(() => {
    for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.removeAllListeners(s);
  });

  test('are held (the process survives them) and delivered once, in order, when released', () => {
    const held = holdSignals();
    process.emit('SIGHUP');
    process.emit('SIGTERM');
    process.emit('SIGHUP');
    const seen: string[] = [];
    process.on('SIGHUP', () => seen.push('SIGHUP'));
    process.on('SIGTERM', () => seen.push('SIGTERM'));
    assert.deepEqual(seen, [], 'nothing delivered before release');
    held.release();
    held.release();
    assert.deepEqual(seen, ['SIGHUP', 'SIGTERM']);
    assert.equal(process.listenerCount('SIGINT'), 0, 'the holders are gone');
  });
});
