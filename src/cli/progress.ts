// Renders publish events on a terminal: one bar for all bytes (rate, ETA) and one per file in flight.
// Silent when stderr is not a TTY or with --json/--quiet, so logs and pipes stay clean.

import { createRequire } from 'node:module';
import type CliProgress from 'cli-progress';
import { printable } from './printable.js';
import type { PublishEvent, EventSink } from '../publish/events.js';
import type { CliIo } from './io.js';
import { formatBytes } from './output.js';

/** A key as a bar label: item/file, control characters escaped. */
function shortKey(key: string): string {
  const parts = printable(key).split('/');
  const name = parts[parts.length - 1] ?? key;
  const item = parts[0] ?? '';
  const label = parts.length > 1 ? `${item}/${name}` : name;
  return label.length > 40 ? `…${label.slice(-39)}` : label.padEnd(40);
}

export function progressRenderer(io: CliIo): { sink: EventSink; stop(): void } {
  const terminal = io.terminal();
  if (terminal === undefined) return { sink: () => undefined, stop: () => undefined };
  // Loaded only for a terminal: scripts and --quiet runs do not pay for it at start-up.
  const cliProgress = createRequire(import.meta.url)('cli-progress') as typeof CliProgress;
  const format = (
    options: CliProgress.Options,
    params: CliProgress.Params,
    payload: { label?: string; speed?: number },
  ): string => {
    const bar = cliProgress.Format.BarFormat(params.progress, options);
    const rate = payload.label === 'total' ? ` ${formatBytes(payload.speed ?? 0)}/s` : '';
    return `${(payload.label ?? '').padEnd(40)} ${bar} ${formatBytes(params.value)}/${formatBytes(params.total)}${rate} ETA ${params.eta}s`;
  };
  const multi = new cliProgress.MultiBar(
    { stream: terminal, clearOnComplete: true, hideCursor: true, format, fps: 5 },
    cliProgress.Presets.shades_classic,
  );
  let total: CliProgress.SingleBar | undefined;
  let done = 0;
  const started = Date.now();
  const files = new Map<string, { bar: CliProgress.SingleBar; bytes: number }>();
  let hashing: CliProgress.SingleBar | undefined;
  const sink = (e: PublishEvent): void => {
    switch (e.type) {
      case 'hash-progress':
        if (e.total <= 0) break;
        hashing ??= multi.create(e.total, 0, { label: 'hashing (new or changed files)' });
        hashing.setTotal(e.total);
        hashing.update(e.bytes);
        break;
      case 'scan-done':
        if (hashing) multi.remove(hashing);
        hashing = undefined;
        break;
      case 'plan':
        if (e.uploadBytes > 0) total = multi.create(e.uploadBytes, 0, { label: 'total' });
        break;
      case 'file-start':
        files.set(e.key, { bar: multi.create(e.size, 0, { label: shortKey(e.key) }), bytes: 0 });
        break;
      case 'file-progress': {
        const f = files.get(e.key);
        if (!f) break;
        f.bytes += e.bytes;
        done += e.bytes;
        f.bar.update(f.bytes);
        const secs = Math.max(0.001, (Date.now() - started) / 1000);
        total?.update(done, { label: 'total', speed: done / secs });
        break;
      }
      case 'file-done': {
        const f = files.get(e.key);
        if (f) {
          multi.remove(f.bar);
          files.delete(e.key);
        }
        break;
      }
      default:
        break;
    }
  };
  return {
    sink,
    stop: () => multi.stop(),
  };
}
