// Loading claas.yaml: YAML syntax, then the refusal of anything that looks like a secret, then the schema,
// then the checks across fields. Every problem is reported as file:line:col: field.path: message, all of
// them at once, in a ClaasError BAD_INPUT (ConfigError) that also carries them as data.

import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ClaasError } from '../errors.js';
import { resolveConfig } from './resolve.js';
import { ConfigSchema } from './schema.js';
import type { ClaasConfig } from './schema.js';
import { findSecrets, SECRET_HINT } from './secrets.js';
import { describeZodIssues } from './zod-issues.js';
import { formatIssue, YamlSource } from './yaml-source.js';
import type { ConfigIssue } from './yaml-source.js';

export type { ConfigIssue } from './yaml-source.js';

const CONFIG_HINT =
  'Fix the fields named above. claas.yaml has library, origin (location, endpoint, region, credentials), ' +
  'replicas (name, location, endpoint, region, account, storageClass, mode: native|mirror, credentials, ' +
  'writeWith: origin|replica) and gateway (listen, prefer, credentials, tenants) and vcenters (for ' +
  'subscribe --config: name, server, user or userEnv, passwordFile, one of gateway, url or replica, libraries) ' +
  'and, for claas run, sources (folder, vcenter with library, or vcsp; interval, maxDelete) and archive ' +
  '(schedule, to, storageClass).';

/** A configuration file with problems; message = one "file:line:col: path: problem" line per problem. */
export class ConfigError extends ClaasError {
  readonly issues: readonly ConfigIssue[];
  readonly file: string;

  constructor(file: string, issues: ConfigIssue[], hint: string) {
    super('BAD_INPUT', issues.map((i) => formatIssue(file, i)).join('\n'), { input: file, hint });
    this.name = 'ConfigError';
    this.file = file;
    this.issues = issues;
  }

  /** One line per problem (a field name in the file may hold a newline: it must not start a line). */
  override messageLines(): string[] {
    return this.issues.map((i) => formatIssue(this.file, i));
  }
}

/** Reads and checks a claas.yaml. Relative paths inside it are resolved against its folder. */
export async function loadConfig(path: string): Promise<ClaasConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ClaasError(
      code === 'ENOENT' ? 'NOT_FOUND' : 'BAD_INPUT',
      `cannot read the configuration file`,
      {
        input: path,
        hint:
          code === 'ENOENT'
            ? 'Give the path of a claas.yaml with --config.'
            : `Check the file's permissions (${code ?? 'read error'}).`,
        cause: e,
      },
    );
  }
  return parseConfig(text, path);
}

/**
 * Checks configuration text. `file` names it in messages (as the user gave it); relative paths inside are
 * resolved against its folder.
 */
export function parseConfig(text: string, file: string): ClaasConfig {
  const source = new YamlSource(text);
  const syntax = source.syntaxIssues();
  if (syntax.length > 0) throw new ConfigError(file, syntax, 'Fix the YAML syntax at the line shown.');

  const secrets = findSecrets(source);
  if (secrets.length > 0)
    throw new ConfigError(
      file,
      secrets.map((p) => source.locate(p)),
      SECRET_HINT,
    );

  const built = source.data();
  if ('issue' in built) {
    throw new ConfigError(
      file,
      [built.issue],
      'Write the values out instead of aliasing aliases: claas.yaml needs few aliases (*name), if any.',
    );
  }
  const data = built.value;
  if (data === null || data === undefined) {
    throw new ConfigError(file, [{ path: [], message: 'the file is empty', line: 1, col: 1 }], CONFIG_HINT);
  }
  const parsed = ConfigSchema.safeParse(data);
  if (!parsed.success) {
    const pending = describeZodIssues(parsed.error.issues, data, ConfigSchema);
    throw new ConfigError(file, sortIssues(pending.map((p) => source.locate(p))), CONFIG_HINT);
  }
  const absolute = resolve(file);
  const { config, issues } = resolveConfig(parsed.data, absolute, dirname(absolute));
  if (config === undefined || issues.length > 0) {
    throw new ConfigError(file, sortIssues(issues.map((p) => source.locate(p))), CONFIG_HINT);
  }
  return config;
}

function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort((a, b) => a.line - b.line || a.col - b.col);
}
