// Option parsing shared by commands: durations, password files, locations with S3 flags.

import { badInput } from '../errors.js';
import { readPasswordFile as readSecret } from '../util/password-file.js';
import { warn } from './output.js';
import { locationDefaults, parseLocation } from '../store/location.js';
import type { Location, WriteSettings } from '../store/types.js';

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
 * Reads a secret from a file (first line, trailing newline removed). Never echoes it; warns on stderr when
 * the file is readable by group or others.
 */
export async function readPasswordFile(path: string, flag = '--password-file'): Promise<string> {
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
