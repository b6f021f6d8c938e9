// What the schema alone cannot check, and the resolved configuration: unique replica names, s3:// locations
// (parsed as every command will parse them), replicas that native replication can really fill, gateway
// names that exist, relative paths made absolute against the configuration file's folder.

import { isAbsolute, resolve } from 'node:path';
import { isClaasError } from '../errors.js';
import { parseLocation } from '../store/location.js';
import { isAwsEndpoint } from '../store/endpoints.js';
import type { S3Location } from '../store/types.js';
import {
  ARCHIVE_STORAGE_CLASSES,
  DEFAULT_LISTEN,
  DEFAULT_TENANTS_FILE,
  ORIGIN_NAME,
  S3_HINT,
  TENANTS_IN_STORE,
} from './schema.js';
import { DEFAULT_CONTROL_PREFIX, controlPrefixConflict, normalizeControlPrefix } from './control-layout.js';
import type {
  ClaasConfig,
  GatewayConfig,
  OriginConfig,
  RawConfig,
  ReplicaConfig,
  StoreRef,
} from './schema.js';
import { NO_TARGET_MESSAGE, subscriptionTargets } from './vcenters.js';
import type { VcenterTarget } from './vcenters.js';
import { resolveArchive, resolveSources } from './run-settings.js';
import { resolveRedirect } from './redirect.js';
import type { FieldPath, PendingIssue } from './yaml-source.js';

type RawStore = RawConfig['origin'];
type RawReplica = NonNullable<RawConfig['replicas']>[number];
type RawGateway = NonNullable<RawConfig['gateway']>;

/** A replica's KMS key for native replication must be a key or alias ARN (S3 and the role policy need it). */
const KMS_ARN_RE = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/\S+$/;
const LISTEN_RE = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]*):(\d{1,5})$/;

/** Checks a schema-valid configuration and resolves it. Problems come back with their field paths. */
export function resolveConfig(
  raw: RawConfig,
  file: string,
  baseDir: string,
): { config?: ClaasConfig; issues: PendingIssue[] } {
  const issues: PendingIssue[] = [];
  const problem = (path: FieldPath, message: string, at: PendingIssue['at'] = 'value'): void => {
    issues.push({ path, message, at });
  };

  const origin: OriginConfig = { name: ORIGIN_NAME, ...storeRef(raw.origin, ['origin'], problem) };
  const originLoc = checkStore(raw.origin, ['origin'], problem);
  if (raw.origin.kmsKeyId !== undefined && raw.origin.sse !== 'aws:kms') {
    problem(['origin', 'kmsKeyId'], 'a KMS key needs sse: aws:kms');
  }
  if (raw.origin.storageClass !== undefined && ARCHIVE_STORAGE_CLASSES.includes(raw.origin.storageClass)) {
    problem(
      ['origin', 'storageClass'],
      'the origin must be readable without a restore: use a non-archive class',
    );
  }

  const replicas: ReplicaConfig[] = [];
  const seen = new Map<string, number>();
  const places = new Map<string, string>();
  if (originLoc !== undefined) places.set(placeKey(originLoc), 'origin');
  for (const [i, r] of (raw.replicas ?? []).entries()) {
    const at: FieldPath = ['replicas', i];
    const lower = r.name.toLowerCase();
    if (lower === ORIGIN_NAME)
      problem([...at, 'name'], `"${ORIGIN_NAME}" names the origin; give the replica another name`);
    const first = seen.get(lower);
    if (first !== undefined)
      problem([...at, 'name'], `replica name "${r.name}" is already used by replicas[${first}]`);
    else seen.set(lower, i);

    const loc = checkStore(r, at, problem);
    const other = loc === undefined ? undefined : places.get(placeKey(loc));
    if (other !== undefined) {
      problem([...at, 'location'], `this is the same bucket, prefix and endpoint as ${other}`);
    } else if (loc !== undefined) {
      places.set(placeKey(loc), r.name);
      if (originLoc !== undefined) checkReplicaMode(raw.origin, originLoc, r, loc, at, problem);
    }
    replicas.push({
      name: r.name,
      mode: r.mode,
      replicationTime: r.replicationTime ?? false,
      ...(r.writeWith === undefined ? {} : { writeWith: r.writeWith }),
      ...storeRef(r, at, problem),
    });
  }

  const gateway =
    raw.gateway === undefined ? undefined : resolveGateway(raw.gateway, raw.replicas ?? [], baseDir, problem);
  // A vCenter that a source reads from needs no subscription target.
  const readFrom = new Set((raw.sources ?? []).flatMap((s) => (s.vcenter === undefined ? [] : [s.vcenter])));
  const controlPrefix = checkControlPrefix(raw.gateway, originLoc, problem);
  if (gateway !== undefined && controlPrefix !== undefined) gateway.controlPrefix = controlPrefix;
  const vcenters =
    raw.vcenters === undefined
      ? undefined
      : resolveVcenters(raw.vcenters, raw.replicas ?? [], readFrom, baseDir, problem);
  const sources =
    raw.sources === undefined
      ? undefined
      : resolveSources(
          raw.sources,
          (raw.vcenters ?? []).map((v) => v.name),
          baseDir,
          problem,
        );
  const archive = raw.archive === undefined ? undefined : resolveArchive(raw.archive, baseDir, problem);
  if (issues.length > 0) return { issues };
  return {
    issues,
    config: {
      file,
      library: raw.library,
      origin,
      replicas,
      ...(gateway === undefined ? {} : { gateway }),
      ...(vcenters === undefined ? {} : { vcenters }),
      replication: raw.replication ?? {},
      ...(sources === undefined ? {} : { sources }),
      ...(archive === undefined ? {} : { archive }),
    },
  };
}

type Problem = (path: FieldPath, message: string, at?: PendingIssue['at']) => void;

function storeRef(
  s: RawStore,
  at: FieldPath,
  problem: Problem,
): StoreRef & Pick<OriginConfig, 'storageClass' | 'sse' | 'kmsKeyId'> {
  const profile = credentialsProfile(s.credentials, [...at, 'credentials'], problem);
  return {
    location: s.location,
    ...(s.endpoint === undefined ? {} : { endpoint: s.endpoint.replace(/\/+$/, '') }),
    ...(s.region === undefined ? {} : { region: s.region }),
    ...(profile === undefined ? {} : { profile }),
    ...(s.account === undefined ? {} : { account: s.account }),
    ...(s.storageClass === undefined ? {} : { storageClass: s.storageClass }),
    ...(s.sse === undefined ? {} : { sse: s.sse }),
    ...(s.kmsKeyId === undefined ? {} : { kmsKeyId: s.kmsKeyId }),
  };
}

function credentialsProfile(c: RawStore['credentials'], at: FieldPath, problem: Problem): string | undefined {
  if (c?.profile !== undefined && c.env === true) {
    problem(at, 'give either profile or env: true, not both');
  }
  return c?.profile;
}

/** Endpoint and location parse as the commands will parse them; encryption settings fit together. */
function checkStore(s: RawStore, at: FieldPath, problem: Problem): S3Location | undefined {
  let endpointOk = true;
  if (s.endpoint !== undefined) {
    try {
      parseLocation('s3://endpoint-check', { endpoint: s.endpoint }, {});
    } catch (e) {
      endpointOk = false;
      problem([...at, 'endpoint'], claasMessage(e));
    }
  }
  if (!/^s3:\/\//i.test(s.location)) {
    problem([...at, 'location'], `expected an s3:// location. ${S3_HINT}`);
    return undefined;
  }
  try {
    const loc = parseLocation(
      s.location,
      {
        ...(s.endpoint === undefined || !endpointOk ? {} : { endpoint: s.endpoint }),
        ...(s.region === undefined ? {} : { region: s.region }),
        ...(s.credentials?.profile === undefined ? {} : { profile: s.credentials.profile }),
      },
      {},
    );
    return loc.kind === 's3' ? loc : undefined;
  } catch (e) {
    problem([...at, 'location'], claasMessage(e));
    return undefined;
  }
}

function claasMessage(e: unknown): string {
  if (!isClaasError(e)) throw e;
  return e.hint === undefined ? e.message : `${e.message}. ${e.hint}`;
}

/** Endpoint (normalised) + bucket + prefix: two stores with the same key are the same place. */
function placeKey(loc: S3Location): string {
  return `${(loc.endpoint ?? 'aws').toLowerCase()}|${loc.bucket}|${loc.prefix}`;
}

/**
 * True when a replica is the origin's bucket seen through another endpoint of an S3-compatible store: zones
 * of one Ceph RGW zonegroup share bucket names and the store replicates them (multisite). On AWS bucket
 * names are global, so the same name is the same bucket whatever the endpoint.
 */
export function isZoneReplica(origin: S3Location, replica: S3Location): boolean {
  if (replica.bucket !== origin.bucket) return false;
  if (isAwsEndpoint(origin.endpoint) && isAwsEndpoint(replica.endpoint)) return false;
  return (replica.endpoint ?? '').toLowerCase() !== (origin.endpoint ?? '').toLowerCase();
}

function checkReplicaMode(
  origin: RawStore,
  originLoc: S3Location,
  r: RawReplica,
  loc: S3Location,
  at: FieldPath,
  problem: Problem,
): void {
  if (r.mode === 'mirror') {
    if (r.replicationTime === true) {
      problem([...at, 'replicationTime'], 'Replication Time Control applies to mode: native only');
    }
    if (r.kmsKeyId !== undefined && r.sse !== 'aws:kms') {
      problem([...at, 'kmsKeyId'], 'a KMS key needs sse: aws:kms (the mirror writes with it)');
    }
    return;
  }
  // Native replication keeps every object's key: the replica's prefix must be the origin's.
  if (loc.prefix !== originLoc.prefix) {
    problem(
      [...at, 'location'],
      `native replication keeps object keys, so the prefix must be the origin's ("${originLoc.prefix}"), ` +
        `not "${loc.prefix}"; use mode: mirror to copy into another prefix`,
    );
  }
  if (r.sse !== undefined) {
    problem(
      [...at, 'sse'],
      'native replicas keep the origin encryption; set kmsKeyId to have S3 re-encrypt replicas with a KMS key',
    );
  }
  if (isZoneReplica(originLoc, loc)) {
    for (const field of ['storageClass', 'kmsKeyId', 'replicationTime', 'account'] as const) {
      if (r[field] !== undefined) {
        problem(
          [...at, field],
          'this replica is the origin bucket seen through another endpoint (zone replication, e.g. Ceph ' +
            'multisite): the store copies it as is, so this setting has no effect',
        );
      }
    }
    return;
  }
  if (loc.bucket === originLoc.bucket) {
    problem([...at, 'location'], 'S3 replication needs another bucket; use mode: mirror for another prefix');
  }
  if (r.kmsKeyId !== undefined && !KMS_ARN_RE.test(r.kmsKeyId)) {
    problem(
      [...at, 'kmsKeyId'],
      'for native replication give the destination key as an ARN (arn:aws:kms:REGION:ACCOUNT:key/ID or ' +
        ':alias/NAME): S3 and the replication role policy need the full ARN',
    );
  }
  if (origin.sse === 'aws:kms' && r.kmsKeyId === undefined) {
    problem(
      at,
      'the origin writes SSE-KMS objects, which S3 replicates only with a destination key: set kmsKeyId',
    );
  }
}

function resolveGateway(
  g: RawGateway,
  replicas: RawReplica[],
  baseDir: string,
  problem: Problem,
): GatewayConfig {
  const at: FieldPath = ['gateway'];
  const listen = g.listen ?? DEFAULT_LISTEN;
  const m = LISTEN_RE.exec(listen);
  if (m === null || Number(m[2]) < 1 || Number(m[2]) > 65535) {
    problem([...at, 'listen'], 'expected host:port, e.g. 127.0.0.1:8443, 0.0.0.0:443 or [::]:8443');
  }
  const prefer = g.prefer ?? [ORIGIN_NAME];
  const names = new Map(replicas.map((r) => [r.name, r]));
  const seenNames = new Set<string>();
  for (const [i, name] of prefer.entries()) {
    const replica = names.get(name);
    if (name !== ORIGIN_NAME && replica === undefined) {
      const known = [...names.keys(), ORIGIN_NAME].map((n) => `"${n}"`).join(', ');
      problem([...at, 'prefer', i], `no replica is named "${name}"; known: ${known}`);
    }
    if (seenNames.has(name)) problem([...at, 'prefer', i], `"${name}" is listed twice`);
    seenNames.add(name);
    if (replica?.storageClass !== undefined && ARCHIVE_STORAGE_CLASSES.includes(replica.storageClass)) {
      problem(
        [...at, 'prefer', i],
        `replica "${name}" stores ${replica.storageClass}, which cannot be read without a restore`,
      );
    }
  }
  const tls = g.tls;
  let tlsConfig: GatewayConfig['tls'];
  if (tls !== undefined) {
    const files = tls.certFile !== undefined || tls.keyFile !== undefined;
    if (tls.selfSigned === true && files)
      problem([...at, 'tls'], 'give certFile and keyFile, or selfSigned: true');
    else if (tls.selfSigned === true) tlsConfig = { selfSigned: true };
    else if (tls.certFile !== undefined && tls.keyFile !== undefined) {
      tlsConfig = { certFile: absolute(baseDir, tls.certFile), keyFile: absolute(baseDir, tls.keyFile) };
    } else problem([...at, 'tls'], 'give both certFile and keyFile (PEM files), or selfSigned: true');
  }
  const profile = credentialsProfile(g.credentials, [...at, 'credentials'], problem);
  const { redirect, problems } = resolveRedirect(g.redirect, [ORIGIN_NAME, ...names.keys()]);
  for (const p of problems) problem([...at, 'redirect', ...p.path], p.message);
  return {
    listen,
    prefer,
    ...(profile === undefined ? {} : { profile }),
    tenants:
      g.tenants === TENANTS_IN_STORE
        ? TENANTS_IN_STORE
        : absolute(baseDir, g.tenants ?? DEFAULT_TENANTS_FILE),
    ...(g.id === undefined ? {} : { id: g.id }),
    ...(g.admin === undefined ? {} : { admin: { passwordFile: absolute(baseDir, g.admin.passwordFile) } }),
    ...(redirect === undefined ? {} : { redirect }),
    ...(tlsConfig === undefined ? {} : { tls: tlsConfig }),
  };
}

/**
 * The control prefix (gateway.controlPrefix or the default), normalised; a problem when it is not a usable
 * prefix or when it and the library prefix of the origin contain one another (config/control-layout.ts).
 */
function checkControlPrefix(
  g: RawGateway | undefined,
  originLoc: S3Location | undefined,
  problem: Problem,
): string | undefined {
  const raw = g?.controlPrefix;
  let prefix = DEFAULT_CONTROL_PREFIX;
  if (raw !== undefined) {
    try {
      prefix = normalizeControlPrefix(raw);
    } catch (e) {
      problem(['gateway', 'controlPrefix'], claasMessage(e));
      return undefined;
    }
  }
  const conflict = originLoc === undefined ? undefined : controlPrefixConflict(prefix, originLoc.prefix);
  // A library at the bucket's root conflicts only when the gateway keeps tenants in the store.
  const used = raw !== undefined || g?.tenants === TENANTS_IN_STORE;
  if (conflict !== undefined && (originLoc?.prefix !== '' || used)) {
    problem(raw === undefined ? ['origin', 'location'] : ['gateway', 'controlPrefix'], conflict);
  }
  return raw === undefined ? undefined : prefix;
}

/**
 * vCenter names are unique, `replica:` names the origin or a replica, each has a subscription target unless
 * a source reads from it (readFrom: names as sources: gives them), file paths are made absolute.
 */
function resolveVcenters(
  list: VcenterTarget[],
  replicas: RawReplica[],
  readFrom: ReadonlySet<string>,
  baseDir: string,
  problem: Problem,
): VcenterTarget[] {
  const stores = [ORIGIN_NAME, ...replicas.map((r) => r.name.toLowerCase())];
  const sourced = new Set([...readFrom].map((n) => n.toLowerCase()));
  const names = new Set<string>();
  return list.map((v, i) => {
    const at: FieldPath = ['vcenters', i];
    if (names.has(v.name.toLowerCase())) problem([...at, 'name'], `"${v.name}" is listed twice`);
    names.add(v.name.toLowerCase());
    if (subscriptionTargets(v).length === 0 && !sourced.has(v.name.toLowerCase())) {
      problem(at, NO_TARGET_MESSAGE);
    }
    if (v.replica !== undefined && !stores.includes(v.replica.toLowerCase())) {
      problem([...at, 'replica'], `no replica "${v.replica}" in this file (replicas: ${stores.join(', ')})`);
    }
    return {
      ...v,
      passwordFile: absolute(baseDir, v.passwordFile),
      ...(v.caFile === undefined ? {} : { caFile: absolute(baseDir, v.caFile) }),
      ...(v.subscriptionPasswordFile === undefined
        ? {}
        : { subscriptionPasswordFile: absolute(baseDir, v.subscriptionPasswordFile) }),
    };
  });
}

function absolute(baseDir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(baseDir, path);
}
