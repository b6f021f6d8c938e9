// The signals of `claas run`. SIGHUP reloads every --config file: all are read again and handed to the
// service; a file with a problem, or a configuration the service refuses, is reported (a 'reload' event
// with ok: false) and the previous configuration keeps running. SIGTERM and SIGINT stop the service, which
// finishes or abandons the version in progress within the drain time (the previous version stays served),
// and whatever runs beside it (the gateway, the health server); the process exits 0, at the latest
// drain + 5 s after the signal (logged), or at once on a second signal.

import type { Logger } from 'pino';
import type { ClaasConfig } from '../../../config/schema.js';
import type { RunService } from '../../../run/service.js';
import type { RunEventSink } from '../../../run/types.js';
import { loadRunConfigs, reloadProblem } from './configs.js';

/** How long after the drain time a stop may still take before the process exits regardless. */
export const FORCE_EXIT_GRACE_MS = 5_000;

export interface RunningService {
  service: Pick<RunService, 'reload' | 'stop'>;
  /** The configuration files, as given. */
  paths: readonly string[];
  log: Logger;
  emit: RunEventSink;
  drainMs: number;
  /** What else stops with the service (the gateway, the health server), given the drain time. */
  alongside: Array<(drainMs: number) => Promise<void>>;
  /** Ends the process (tests replace it). */
  exit?: (code: number) => void;
  /** How long after the drain time the process exits regardless (default FORCE_EXIT_GRACE_MS). */
  forceExitGraceMs?: number;
}

/**
 * Reads every configuration file again and hands them to the service; false when refused. A file that
 * cannot be loaded is reported here (a 'reload' event with ok: false); the service reports its own verdict.
 */
export async function reloadConfigs(r: RunningService): Promise<boolean> {
  let configs: ClaasConfig[];
  try {
    configs = await loadRunConfigs(r.paths);
  } catch (e) {
    r.emit({ type: 'reload', ok: false, problem: reloadProblem(e) });
    return false;
  }
  try {
    await r.service.reload(configs);
    return true;
  } catch (e) {
    r.log.info({ error: reloadProblem(e) }, 'reload refused by the service');
    return false;
  }
}

/** Reloads on SIGHUP, one reload at a time, until stop(). */
export function reloadOnHangup(r: RunningService): { stop(): void } {
  let reloading: Promise<unknown> = Promise.resolve();
  const onHup = (): void => {
    r.log.info({ signal: 'SIGHUP' }, 'reloading the configuration');
    reloading = reloading.then(() => reloadConfigs(r));
  };
  process.on('SIGHUP', onHup);
  return { stop: () => void process.off('SIGHUP', onHup) };
}

/**
 * Until release(): SIGHUP, SIGTERM and SIGINT are held (a signal during start-up must neither kill the
 * process, nor be lost). release() removes the holders and delivers each held signal once, in order, to the
 * handlers installed by then.
 */
export function holdSignals(): { release(): void } {
  const held: NodeJS.Signals[] = [];
  const signals: NodeJS.Signals[] = ['SIGHUP', 'SIGTERM', 'SIGINT'];
  const holders = signals.map((signal) => {
    const hold = (): void => {
      if (!held.includes(signal)) held.push(signal);
    };
    process.on(signal, hold);
    return [signal, hold] as const;
  });
  let released = false;
  return {
    release: () => {
      if (released) return;
      released = true;
      for (const [signal, hold] of holders) process.off(signal, hold);
      for (const signal of held) process.emit(signal);
    },
  };
}

function exitNow(r: RunningService, why: string, fields: Record<string, unknown>): void {
  r.log.warn(fields, why);
  r.log.flush();
  (r.exit ?? ((code: number) => process.exit(code)))(0);
}

/**
 * Waits for SIGTERM or SIGINT, then stops the service and everything beside it. Resolves with the signal
 * once all of them stopped.
 */
export function untilStopped(r: RunningService): Promise<string> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: string): void => {
      if (stopping) return exitNow(r, 'second signal: exiting now', { signal });
      stopping = true;
      const force = setTimeout(
        () =>
          exitNow(r, 'still stopping after the drain time: exiting without waiting any longer', {
            drainMs: r.drainMs,
          }),
        r.drainMs + (r.forceExitGraceMs ?? FORCE_EXIT_GRACE_MS),
      );
      force.unref();
      r.log.info({ signal, drainMs: r.drainMs }, 'shutting down');
      const stops = [r.service.stop(signal), ...r.alongside.map((stop) => stop(r.drainMs))];
      void Promise.allSettled(stops).then((results) => {
        for (const x of results) {
          if (x.status === 'rejected') r.log.error({ error: reloadProblem(x.reason) }, 'stop failed');
        }
        clearTimeout(force);
        r.log.info({}, 'stopped');
        r.log.flush();
        // Everything is stopped; should a connection or timer still hold the process, it ends anyway.
        setTimeout(() => exitNow(r, 'stopped; exiting', {}), FORCE_EXIT_GRACE_MS).unref();
        resolve(signal);
      });
    };
    const onInt = (): void => onSignal('SIGINT');
    const onTerm = (): void => onSignal('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
}
