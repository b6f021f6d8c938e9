// How `claas mirror` reports: a progress line per replica on a terminal, notes about the plan and fallbacks,
// and a summary line per mirrored version.

import type { MirrorEvent, MirrorResult } from '../../../replicate/mirror.js';
import type { CliIo } from '../../io.js';
import { formatBytes } from '../../output.js';

export function progressLine(io: CliIo): { sink: (replica: string, e: MirrorEvent) => void; end(): void } {
  const terminal = io.terminal();
  let total = { objects: 0, bytes: 0 };
  let done = { objects: 0, bytes: 0 };
  let last = 0;
  const draw = (replica: string, force = false): void => {
    const now = Date.now();
    if (terminal === undefined || (!force && now - last < 200)) return;
    last = now;
    terminal.write(
      `\r${replica}: ${done.objects}/${total.objects} objects, ${formatBytes(done.bytes)}/${formatBytes(total.bytes)}   `,
    );
  };
  const sink = (replica: string, e: MirrorEvent): void => {
    switch (e.type) {
      case 'plan':
        total = { objects: e.toCopy, bytes: e.toCopyBytes };
        done = { objects: 0, bytes: 0 };
        if (io.json) break;
        io.note(
          e.toCopy === 0
            ? `${replica}: version ${e.version} is already there`
            : `${replica}: copying ${e.toCopy} of ${e.objects} objects (${formatBytes(e.toCopyBytes)}) for version ${e.version}` +
                (e.previousVersion === undefined ? '' : ` (replica at version ${e.previousVersion})`),
        );
        break;
      case 'copy-progress':
        done.bytes += e.bytes;
        draw(replica);
        break;
      case 'copied':
        done.objects += 1;
        draw(replica, done.objects === total.objects);
        break;
      case 'fallback':
      case 'warning':
        terminal?.write('\n');
        io.note(`${replica}: ${e.type === 'fallback' ? e.reason : e.message}`);
        break;
      default:
        break;
    }
  };
  return {
    sink,
    end: () => {
      if (terminal !== undefined && total.objects > 0) terminal.write('\n');
    },
  };
}

export function summary(r: MirrorResult): string {
  if (r.upToDate)
    return `${r.replica}: up to date at version ${r.version} (${r.skipped.objects} objects checked, nothing copied)`;
  const parts = [
    `${r.replica}: mirrored version ${r.version}${r.previousVersion === undefined ? '' : ` (was ${r.previousVersion})`} to ${r.to}`,
    `copied ${r.copied.objects} objects (${formatBytes(r.copied.bytes)}: ${r.serverSide.objects} server-side, ${r.streamed.objects} streamed)`,
    `${r.skipped.objects} already there`,
  ];
  if (r.repaired.length > 0) parts.push(`repaired ${r.repaired.length}`);
  if (r.gc !== undefined && r.gc.deleted > 0) parts.push(`removed ${r.gc.deleted} superseded`);
  parts.push(`in ${(r.ms / 1000).toFixed(1)} s`);
  return parts.join(', ');
}
