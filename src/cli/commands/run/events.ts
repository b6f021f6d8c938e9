// What `claas run` prints and logs for each event of the service: a line for people on stdout (or one
// JSON RunEvent per line with --json, nothing with -q), and a JSON log line (pino, on stderr) for every
// change applied, role change, problem, reload and stop. Polls that saw nothing new print and log nothing
// at the default level.

import type { Logger } from 'pino';
import type { Problem, RunEvent, RunEventSink } from '../../../run/types.js';
import type { CliIo } from '../../io.js';
import { formatBytes } from '../../output.js';

/** At most this many names in a line for people; the JSON and the log carry them all. */
const NAMES_SHOWN = 5;

function names(list: readonly string[]): string {
  if (list.length <= NAMES_SHOWN) return list.join(', ');
  return `${list.slice(0, NAMES_SHOWN).join(', ')} and ${list.length - NAMES_SHOWN} more`;
}

function problemText(p: Problem): string {
  return p.hint === undefined ? p.message : `${p.message} (fix: ${p.hint})`;
}

function publishedText(e: Extract<RunEvent, { type: 'published' }>): string {
  const parts = [
    e.added.length > 0 ? `added ${names(e.added)}` : '',
    e.changed.length > 0 ? `changed ${names(e.changed)}` : '',
    e.removed.length > 0 ? `removed ${names(e.removed)}` : '',
  ].filter((p) => p !== '');
  const what = parts.length > 0 ? parts.join('; ') : 'no item changes';
  return `${e.library}: published version ${e.version} from ${e.sources.join(', ')}: ${what} (${formatBytes(e.bytes)} uploaded)`;
}

/** The line for people an event prints, or undefined when it prints none (a poll that saw no change). */
export function describeEvent(e: RunEvent): string | undefined {
  switch (e.type) {
    case 'start':
      return `claas run: following ${e.libraries.length === 1 ? 'library' : `${e.libraries.length} libraries:`} ${e.libraries.join(', ')}`;
    case 'role':
      return e.role === 'active'
        ? `${e.library}: this process publishes the library`
        : `${e.library}: standby${e.holder === undefined ? '' : ` while ${e.holder} publishes`}; takes over when it stops`;
    case 'poll':
      if (!e.ok)
        return `${e.library}: ${e.source}: poll failed${e.problem ? `: ${problemText(e.problem)}` : ''}`;
      return e.changed === true
        ? `${e.library}: ${e.source}: change seen (${e.items ?? 0} items)`
        : undefined;
    case 'pending-delete':
      return `${e.library}: ${e.source}: gone from the source, removed if still gone at the next poll: ${names(e.items)}`;
    case 'held':
      return `${e.library}: ${e.source}: not applied: ${e.reason}`;
    case 'published':
      return publishedText(e);
    case 'mirrored':
      return `${e.library}: replica ${e.replica} filled to version ${e.version} (${formatBytes(e.bytes)} copied)`;
    case 'replica':
      return `${e.library}: replica ${e.replica} is ${e.state}`;
    case 'archived':
      return `${e.library}: archived version ${e.version} to ${e.to} (schedule slot ${e.slot})`;
    case 'vmtx':
      return `${e.library}: ${e.source}: VM templates cannot travel over VCSP and are not copied: ${names(e.items)} (fix: clone each into the library as an OVF template)`;
    case 'error':
      return `${e.library}: error: ${problemText(e.problem)}`;
    case 'reload':
      return e.ok
        ? 'configuration reloaded'
        : `reload refused, the previous configuration keeps running: ${e.problem ? problemText(e.problem) : 'unknown error'}`;
    case 'stop':
      return `stopping (${e.reason})`;
    case 'listening':
      return `health: ${e.url}/healthz   metrics: ${e.url}/metrics`;
  }
}

type Level = 'debug' | 'info' | 'warn' | 'error';

/** The log level of an event: polls that saw nothing new are debug (not logged by default). */
function levelOf(e: RunEvent): Level {
  switch (e.type) {
    case 'poll':
      if (!e.ok) return 'warn';
      return e.changed === true ? 'info' : 'debug';
    case 'held':
    case 'vmtx':
      return 'warn';
    case 'replica':
      return e.state === 'broken' ? 'warn' : 'info';
    case 'error':
      return 'error';
    case 'reload':
      return e.ok ? 'info' : 'error';
    default:
      return 'info';
  }
}

/** The log message of an event (its fields go beside it). */
const LOG_MESSAGES: Record<RunEvent['type'], string> = {
  start: 'started',
  role: 'role',
  poll: 'poll',
  'pending-delete': 'deletion pending confirmation',
  held: 'listing not applied',
  published: 'change applied',
  mirrored: 'mirror replica filled',
  replica: 'replica state',
  archived: 'archive snapshot',
  vmtx: 'vm templates not copied',
  error: 'error',
  reload: 'reload',
  stop: 'stopping',
  listening: 'listening',
};

export function logEvent(log: Logger, e: RunEvent): void {
  const { type, ...fields } = e;
  log[levelOf(e)]({ event: type, ...fields }, LOG_MESSAGES[type]);
}

/** The sink `claas run` gives the service: prints (text or JSON line) and logs each event. */
export function eventPrinter(io: CliIo, log: Logger, now: () => Date = () => new Date()): RunEventSink {
  return (e) => {
    if (io.json) io.printJsonLine({ at: now().toISOString(), ...e });
    else {
      const line = describeEvent(e);
      if (line !== undefined) io.say(line);
    }
    logEvent(log, e);
  };
}
