// Location strings: `file:/path`, `file:///path`, a plain path, or `s3://bucket/prefix`, parsed into a
// Location and shown back safely. Credentials never belong in a location; one that holds them is refused
// without repeating them.

import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { badInput } from '../errors.js';
import type { Location, S3Location } from './types.js';

export interface LocationDefaults {
  /** S3 endpoint URL for S3-compatible stores; falls back to AWS_ENDPOINT_URL_S3, then AWS_ENDPOINT_URL. */
  endpoint?: string;
  /** S3 region; falls back to AWS_REGION, then AWS_DEFAULT_REGION. */
  region?: string;
  /** AWS shared config profile. */
  profile?: string;
}

/**
 * The endpoint, region and profile that `from` sets, and only those: spread over another store reference,
 * the result overrides what was given and nothing else.
 */
export function locationDefaults(from: LocationDefaults): LocationDefaults {
  return {
    ...(from.endpoint === undefined ? {} : { endpoint: from.endpoint }),
    ...(from.region === undefined ? {} : { region: from.region }),
    ...(from.profile === undefined ? {} : { profile: from.profile }),
  };
}

const LOCATION_FORMS = 'A location is a folder (file:/srv/library or a plain path) or s3://bucket/prefix.';
const CREDENTIALS_HINT =
  'Do not put credentials in a location. Use an AWS profile (--profile, AWS_PROFILE) or the ' +
  'AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY environment variables.';

/** A version of text safe to show in an error: any user-info part is replaced by "***". */
function redact(text: string): string {
  // Greedy up to the last '@': a secret may itself contain '/' (AWS secret keys do).
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/).*@/is, '$1***@');
}

/** Parses a location string. Relative paths are resolved against the current folder. */
export function parseLocation(
  text: string,
  defaults: LocationDefaults = {},
  env: NodeJS.ProcessEnv = process.env,
): Location {
  if (typeof text !== 'string' || text.trim() === '') {
    throw badInput('The location is empty', '(location)', LOCATION_FORMS);
  }
  if (/[\0\r\n]/.test(text)) {
    throw badInput('The location contains a control character', redact(text), LOCATION_FORMS);
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(text)?.[1]?.toLowerCase();
  if (scheme === 'file') return parseFile(text);
  if (scheme === 's3') return parseS3(text, defaults, env);
  if (scheme === 'http' || scheme === 'https') {
    throw badInput(
      'An http(s) URL is not a location claas can write to or read as a store',
      redact(text),
      `${LOCATION_FORMS} To read a published library from a URL, pass the URL of its lib.json to ` +
        '`claas verify` or use it as an import source.',
    );
  }
  if (scheme !== undefined && scheme.length > 1 && /^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    throw badInput(`Unknown location scheme "${scheme}:"`, redact(text), LOCATION_FORMS);
  }
  // A plain path (it may contain a colon, e.g. "backup:2026").
  return { kind: 'fs', path: resolve(text) };
}

function parseFile(text: string): Location {
  if (text.slice(0, 7).toLowerCase() === 'file://') {
    let path: string;
    try {
      path = fileURLToPath(`file://${text.slice(7)}`);
    } catch (e) {
      throw badInput(
        `Not a usable file URL: ${e instanceof Error ? e.message : String(e)}`,
        redact(text),
        'Use file:///absolute/path (no host), file:/absolute/path or file:relative/path.',
      );
    }
    return { kind: 'fs', path: resolve(path) };
  }
  const rest = text.slice('file:'.length);
  if (rest === '') throw badInput('The file: location has no path', text, 'Use file:/absolute/path.');
  return { kind: 'fs', path: resolve(rest) };
}

const S3_FORM = 'Use s3://bucket/prefix, e.g. s3://templates-us-east-1/library.';

function parseS3(text: string, defaults: LocationDefaults, env: NodeJS.ProcessEnv): S3Location {
  if (!/^s3:\/\//i.test(text)) throw badInput('An s3 location starts with s3://', text, S3_FORM);
  const rest = text.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? '' : rest.slice(slash + 1);
  // "KEY:SECRET@bucket", also when the secret contains a '/' and so runs past the authority.
  if (authority.includes('@') || /^[^@]*:[^@]*@/.test(rest)) {
    throw badInput('The s3 location contains credentials', redact(text), CREDENTIALS_HINT);
  }
  if (/[?#]/.test(rest)) {
    throw badInput(
      'An s3 location has no query or fragment',
      text,
      `${S3_FORM} Give the endpoint and region with --endpoint and --region.`,
    );
  }
  const bucket = authority;
  const bucketProblem = s3BucketProblem(bucket);
  if (bucketProblem !== undefined) {
    throw badInput(`Bucket name ${JSON.stringify(bucket)} ${bucketProblem}`, text, S3_FORM);
  }
  const prefix = path.replace(/^\/+/, '').replace(/\/+$/, '');
  if (prefix !== '') {
    const segments = prefix.split('/');
    if (segments.some((s) => s === '' || s === '.' || s === '..')) {
      throw badInput('The s3 prefix has an empty, "." or ".." segment', text, S3_FORM);
    }
    if (prefix.includes('\\') || /[\u0000-\u001f\u007f]/.test(prefix)) {
      throw badInput('The s3 prefix contains a backslash or control character', text, S3_FORM);
    }
  }
  const endpoint = checkEndpoint(defaults.endpoint ?? env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL);
  const region = nonEmpty(defaults.region) ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION);
  const profile = nonEmpty(defaults.profile);
  return {
    kind: 's3',
    bucket,
    prefix,
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(region === undefined ? {} : { region }),
    ...(profile === undefined ? {} : { profile }),
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** Why a bucket name breaks the S3 naming rules, or undefined when it is valid. */
function s3BucketProblem(bucket: string): string | undefined {
  if (bucket.length < 3 || bucket.length > 63) return 'must be 3 to 63 characters long';
  if (!/^[a-z0-9.-]+$/.test(bucket)) return 'may contain only lowercase letters, digits, dots and hyphens';
  if (!/^[a-z0-9].*[a-z0-9]$/.test(bucket)) return 'must start and end with a letter or digit';
  if (/\.\.|\.-|-\./.test(bucket)) return 'must not contain "..", ".-" or "-."';
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(bucket)) return 'must not look like an IP address';
  return undefined;
}

function checkEndpoint(value: string | undefined): string | undefined {
  const endpoint = nonEmpty(value);
  if (endpoint === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw badInput(
      'The S3 endpoint is not a URL',
      redact(endpoint),
      'Give the endpoint as a URL, e.g. https://minio.example.com:9000.',
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw badInput(
      'The S3 endpoint must be an http or https URL',
      redact(endpoint),
      'e.g. https://s3.example.com',
    );
  }
  if (url.username !== '' || url.password !== '') {
    throw badInput('The S3 endpoint contains credentials', redact(endpoint), CREDENTIALS_HINT);
  }
  return endpoint.replace(/\/+$/, '');
}

/** The display form of a location; parseLocation(displayLocation(loc)) gives back bucket/prefix or path. */
export function displayLocation(loc: Location): string {
  if (loc.kind === 'fs') return `file:${loc.path}`;
  return loc.prefix === '' ? `s3://${loc.bucket}` : `s3://${loc.bucket}/${loc.prefix}`;
}
