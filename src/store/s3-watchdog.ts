// Notices an S3 store that stops answering (a black-holed endpoint, a cluster whose OSDs are full: the
// connection is accepted and nothing comes back) instead of waiting on it for the SDK's timeouts times its
// retries times claas's retries. Each S3 client gets a watchdog: a middleware tracks every request in
// flight (a whole command, retries included), the client's agents track its sockets, and a timer checks
// whether the store has shown any sign of life (bytes received from it, or request bytes it keeps taking). After `stallNoticeMs` of silence with requests pending it reports a stall (endpoint, what is
// pending) through the configured listener; after `timeoutMs` it fails the pending requests with a
// ClaasError, drops the connections, and requests and retries on that client fail at once for as long
// again (so that a command ends instead of retrying into the same silence). Nothing here prints.

import type { Agent as HttpAgent } from 'node:http';
import { Socket } from 'node:net';
import { ClaasError } from '../errors.js';

export const DEFAULT_STALL_NOTICE_MS = 30_000;
export const DEFAULT_STORE_TIMEOUT_MS = 5 * 60_000;
/**
 * Looks at which a socket's peer had taken more request bytes before more counts as a sign of life: the
 * kernel accepts a few MiB for a peer that never reads (socket buffers), in at most two bursts (the
 * headers, then the body after Expect: 100-continue); a store that is reading keeps taking bytes.
 */
const TAKING_BURSTS = 2;

export interface PendingRequest {
  /** S3 operation, e.g. "PutObject". */
  operation: string;
  /** s3://bucket/key (part N), or the bucket. */
  target: string;
  /** How long it has been pending. */
  forMs: number;
}

export interface StallNotice {
  endpoint: string;
  /** Time since the store last showed a sign of life. */
  silentForMs: number;
  /** The requests waiting, oldest first. */
  pending: PendingRequest[];
  /** When the watchdog gives up (0 = never). */
  timeoutMs: number;
}

export interface StoreWatchdogSettings {
  /** Report a stall after this much silence (0 = never). */
  stallNoticeMs: number;
  /** Fail the pending requests after this much silence (0 = never). */
  timeoutMs: number;
  onStall?: (notice: StallNotice) => void;
}

const settings: StoreWatchdogSettings = {
  stallNoticeMs: DEFAULT_STALL_NOTICE_MS,
  timeoutMs: DEFAULT_STORE_TIMEOUT_MS,
};

/** Sets the watchdog settings of every S3 client (the CLI does, from flags and environment). */
export function configureStoreWatchdog(update: Partial<StoreWatchdogSettings>): void {
  Object.assign(settings, update);
}

export function storeWatchdogSettings(): Readonly<StoreWatchdogSettings> {
  return settings;
}

/** "90 s", "5 min", "250 ms" */
export function formatWait(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

/** The stall notice as one line for people. */
export function describeStall(n: StallNotice): string {
  const shown = n.pending.slice(0, 3).map((p) => `${p.operation} ${p.target}`);
  const more = n.pending.length > shown.length ? ` and ${n.pending.length - shown.length} more` : '';
  const giveUp =
    n.timeoutMs > 0
      ? `; giving up after ${formatWait(n.timeoutMs)} (--store-timeout, CLAAS_STORE_TIMEOUT)`
      : '';
  return (
    `waiting for the S3 store at ${n.endpoint}: no answer for ${formatWait(n.silentForMs)}, ` +
    `${n.pending.length} request${n.pending.length === 1 ? '' : 's'} pending: ${shown.join(', ')}${more}${giveUp}`
  );
}

interface Pending {
  operation: string;
  target: string;
  since: number;
  reject: (e: unknown) => void;
}

interface CommandInput {
  Bucket?: unknown;
  Key?: unknown;
  Prefix?: unknown;
  PartNumber?: unknown;
}

function targetOf(value: object): string {
  const input = value as CommandInput;
  const bucket = typeof input.Bucket === 'string' ? input.Bucket : '';
  const key =
    typeof input.Key === 'string' ? input.Key : typeof input.Prefix === 'string' ? input.Prefix : '';
  const part = typeof input.PartNumber === 'number' ? ` (part ${input.PartNumber})` : '';
  return `s3://${bucket}${key === '' ? '' : `/${key}`}${part}`;
}

/** Request bytes the kernel has handed on (sent, if not yet acknowledged) on a socket. */
function takenOf(socket: Socket): number {
  const queued = (socket as unknown as { _handle?: { writeQueueSize?: unknown } | null })._handle
    ?.writeQueueSize;
  return typeof queued === 'number' ? Math.max(0, socket.bytesWritten - queued) : 0;
}

interface SocketSeen {
  read: number;
  taken: number;
  /** Looks at which `taken` had grown. */
  bursts: number;
}

/** Whether an SDK error carries an HTTP response (the store answered, if with an error). */
function answered(err: unknown): boolean {
  return typeof (err as { $metadata?: { httpStatusCode?: unknown } })?.$metadata?.httpStatusCode === 'number';
}

type Next = (args: { input: object }) => Promise<unknown>;

export class StoreWatchdog {
  private readonly pending = new Map<number, Pending>();
  private readonly sockets = new Map<Socket, SocketSeen>();
  private nextId = 0;
  private lastActivity = Date.now();
  private lastNotice = 0;
  private deadUntil = 0;
  /** What the watchdog gave up on last: the message of every error until the store answers again. */
  private gaveUpOn = '';
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly endpoint: string) {}

  /** Lets the watchdog see the sockets an HTTP(S) agent opens. */
  watchAgent<A extends HttpAgent>(agent: A): A {
    const create = agent.createConnection.bind(agent);
    agent.createConnection = (...args) => {
      const socket = create(...args);
      this.watchSocket(socket);
      return socket;
    };
    return agent;
  }

  /** Runs one S3 command (all its attempts) under the watchdog. */
  run(commandName: string, args: { input: object }, next: Next): Promise<unknown> {
    const operation = commandName.replace(/Command$/, '');
    const target = targetOf(args.input);
    if (Date.now() < this.deadUntil) return Promise.reject(this.giveUpError());
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      if (this.pending.size === 0) this.lastActivity = Date.now(); // idle time is not silence
      this.pending.set(id, { operation, target, since: Date.now(), reject });
      this.start();
      next(args).then(
        (result) => {
          this.activity();
          this.finish(id);
          resolve(result);
        },
        (err: unknown) => {
          if (answered(err)) this.activity();
          this.finish(id);
          reject(err);
        },
      );
    });
  }

  /**
   * Runs one attempt of a command (below the SDK's retries): once the watchdog has given up, attempts
   * fail at once with an error the SDK does not retry, instead of opening new connections to the store.
   */
  attempt(args: { input: object }, next: Next): Promise<unknown> {
    return Date.now() < this.deadUntil ? Promise.reject(this.giveUpError()) : next(args);
  }

  private watchSocket(socket: unknown): void {
    if (!(socket instanceof Socket)) return;
    if (Date.now() < this.deadUntil) {
      socket.destroy();
      return;
    }
    this.sockets.set(socket, { read: 0, taken: 0, bursts: 0 });
    socket.once('close', () => {
      if (socket.bytesRead > (this.sockets.get(socket)?.read ?? 0)) this.activity();
      this.sockets.delete(socket);
    });
  }

  /** Marks activity when the store sent bytes on the socket, or keeps taking them, since the last look. */
  private check(socket: Socket, seen: SocketSeen): void {
    const read = socket.bytesRead;
    const taken = takenOf(socket);
    const taking = taken > seen.taken;
    if (read > seen.read || (taking && seen.bursts >= TAKING_BURSTS)) this.activity();
    if (taking) seen.bursts += 1;
    seen.read = read;
    seen.taken = taken;
  }

  private activity(): void {
    this.lastActivity = Date.now();
    this.lastNotice = 0;
    this.deadUntil = 0;
  }

  private finish(id: number): void {
    this.pending.delete(id);
    if (this.pending.size === 0) this.stop();
  }

  private start(): void {
    if (this.timer !== undefined) return;
    const { stallNoticeMs, timeoutMs } = settings;
    const limits = [stallNoticeMs / 2, timeoutMs / 4].filter((ms) => ms > 0);
    const tick = Math.max(20, Math.min(1000, ...limits));
    this.timer = setInterval(() => this.tick(), tick);
    this.timer.unref();
  }

  private stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    for (const [socket, seen] of this.sockets) this.check(socket, seen);
    if (this.pending.size === 0) return;
    const now = Date.now();
    const silent = now - this.lastActivity;
    const { stallNoticeMs, timeoutMs, onStall } = settings;
    if (timeoutMs > 0 && silent >= timeoutMs) return this.giveUp(now);
    if (stallNoticeMs > 0 && silent >= stallNoticeMs && now - this.lastNotice >= stallNoticeMs) {
      this.lastNotice = now;
      onStall?.({
        endpoint: this.endpoint,
        silentForMs: silent,
        pending: [...this.pending.values()].map((p) => ({
          operation: p.operation,
          target: p.target,
          forMs: now - p.since,
        })),
        timeoutMs,
      });
    }
  }

  /** Fails every pending request, drops the connections, and fails new requests for a while. */
  private giveUp(now: number): void {
    const waiting = [...this.pending.values()].sort((a, b) => a.since - b.since);
    this.pending.clear();
    this.stop();
    this.deadUntil = now + settings.timeoutMs;
    const first = waiting[0]!;
    const others = waiting.length - 1;
    this.gaveUpOn =
      `${first.operation} ${first.target}` +
      (others > 0 ? ` (and ${others} other request${others > 1 ? 's' : ''})` : '');
    for (const socket of this.sockets.keys()) socket.destroy();
    for (const p of waiting) p.reject(this.giveUpError());
  }

  private giveUpError(): ClaasError {
    return new ClaasError(
      'UNREACHABLE',
      `The S3 store at ${this.endpoint} stopped answering: no answer for ${formatWait(settings.timeoutMs)} ` +
        `to ${this.gaveUpOn}; gave up`,
      {
        input: this.endpoint,
        hint:
          'check that the store is up and reachable from here (a store can accept connections and never ' +
          'answer, e.g. when its disks are full); to wait longer, raise --store-timeout or CLAAS_STORE_TIMEOUT',
      },
    );
  }
}
