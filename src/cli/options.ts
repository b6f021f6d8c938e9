// Flag values shared by commands, parsed: durations, sizes, counts, password files, locations with their S3
// flags, write settings, library URLs.

import { stat } from 'node:fs/promises';
import { badInput, ClaasError } from '../errors.js';
import { readPasswordFile as readSecret } from '../util/password-file.js';
import { printable } from './printable.js';
import { locationDefaults, parseLocation } from '../store/location.js';
import type { Location, WriteSettings } from '../store/types.js';
import type { TargetFlags } from '../archive/target.js';

/** "24h", "30m", "90s", "2d", "0" -> milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) throw badInput(`${flag} takes a duration like 24h, 30m, 90s or 0; got "${text}"`, flag);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit] ?? 1000;
  return Math.round(n * factor);
}

/** "64MiB", "8M", "1GiB", "1048576" -> bytes. */
export function parseSize(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(k|ki|kib|kb|m|mi|mib|mb|g|gi|gib|gb|t|ti|tib|tb)?$/i.exec(text.trim());
  if (!m) throw badInput(`${flag} takes a size like 64MiB, 8M or 1GiB; got "${text}"`, flag);
  const unit = (m[2] ?? '').toLowerCase()[0] ?? '';
  const factor = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[unit] ?? 1;
  return Math.round(Number(m[1]) * factor);
}

export function parsePositiveInt(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0)
    throw badInput(`${flag} takes a whole number greater than 0; got "${text}"`, flag);
  return n;
}

/**
 * Reads a secret from a file (first line, trailing newline removed). Never echoes it; warns (as ssh does)
 * when the file is readable by group or others: through `warn` (a command's io.warn), else on stderr.
 */
export async function readPasswordFile(
  path: string,
  flag = '--password-file',
  warn: (line: string) => void = (line) => void process.stderr.write(`warning: ${printable(line)}\n`),
): Promise<string> {
  const { password, warning } = await readSecret(path, `the password file given to ${flag}`);
  if (warning !== undefined) warn(warning);
  return password;
}

export interface StoreFlags {
  endpoint?: string;
  region?: string;
  profile?: string;
  storageClass?: string;
  sse?: string;
  kmsKeyId?: string;
  tag?: string[];
}

export function locationFrom(text: string, flags: StoreFlags): Location {
  return parseLocation(text, locationDefaults(flags));
}

export function writeSettingsFrom(flags: StoreFlags): WriteSettings {
  const settings: WriteSettings = {};
  if (flags.storageClass) settings.storageClass = flags.storageClass;
  if (flags.sse) {
    if (flags.sse === 'AES256') settings.sse = { mode: 'AES256' };
    else if (flags.sse === 'aws:kms')
      settings.sse = { mode: 'aws:kms', ...(flags.kmsKeyId ? { kmsKeyId: flags.kmsKeyId } : {}) };
    else throw badInput(`--sse takes AES256 or aws:kms; got "${flags.sse}"`, '--sse');
  } else if (flags.kmsKeyId) {
    throw badInput('--kms-key-id needs --sse aws:kms', '--kms-key-id');
  }
  if (flags.tag && flags.tag.length > 0) {
    const tags: Record<string, string> = {};
    for (const t of flags.tag) {
      const i = t.indexOf('=');
      if (i <= 0) throw badInput(`--tag takes key=value; got "${t}"`, '--tag');
      tags[t.slice(0, i)] = t.slice(i + 1);
    }
    settings.tags = tags;
  }
  return settings;
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** A library URL as given (…/lib.json or the folder above it) -> the lib.json URL. */
export function libJsonUrl(url: string): string {
  return /\/lib\.json$/.test(new URL(url).pathname) ? url : `${url.replace(/\/+$/, '')}/lib.json`;
}

/** A folder destination must be a folder (new, empty, or a library), not a file. */
export async function assertUsableDestination(loc: Location): Promise<void> {
  if (loc.kind !== 'fs') return;
  const st = await stat(loc.path).catch(() => undefined);
  if (st !== undefined && !st.isDirectory()) {
    throw new ClaasError('BAD_INPUT', `destination ${loc.path} is a file, not a folder`, {
      input: loc.path,
      hint: 'give a folder (new or empty, or an existing library) as --to',
    });
  }
}

const LISTEN_RE = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]*):(\d{1,5})$/;

/** "127.0.0.1:8443", "[::]:8443", ":443" (every address) -> host and port; port 0 picks a free one. */
export function parseListen(text: string, flag = '--listen'): { host: string; port: number } {
  const m = LISTEN_RE.exec(text.trim());
  const port = Number(m?.[2]);
  if (m === null || !Number.isInteger(port) || port > 65535) {
    throw badInput(
      `${flag} takes host:port; got "${text}"`,
      flag,
      'e.g. 127.0.0.1:8443, 0.0.0.0:443, [::]:8443 or 127.0.0.1:0',
    );
  }
  const host = m[1]!.replace(/^\[|\]$/g, '');
  return { host: host === '' ? '0.0.0.0' : host, port };
}

/** host and port back as a --listen value. */
export function formatListen(listen: { host: string; port: number }): string {
  return `${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${listen.port}`;
}

/** The library target flags (--config, --location, S3 flags, --sse) out of a command's flags. */
export function targetFlags(flags: TargetFlags): TargetFlags {
  const keys = ['config', 'location', 'endpoint', 'region', 'profile', 'sse', 'kmsKeyId'] as const;
  const out: TargetFlags = {};
  for (const k of keys) if (flags[k] !== undefined) out[k] = flags[k];
  return out;
}
