// The control prefix: where a provider's gateways keep what they share, in the ORIGIN bucket beside (never
// inside) the library prefix. Bucket-level, so one control prefix serves every library of the bucket, and
// replicated only to the provider's own regions (native replicas in the provider's account; on Ceph the
// other zones of the zonegroup see the same bucket). Never in a mirror or a client's (cross-account) replica.
//
//   s3://<bucket>/<controlPrefix>/               default controlPrefix: claas-control (gateway.controlPrefix)
//     tenants.json                                the tenants: format claas.tenants/1 (names, scrypt hashes,
//                                                 grants, key ids, rotation times); written by `claas tenant`
//     .claas/lock/<token>.json                    lock entries of `claas tenant` changes (publish/lock.ts,
//                                                 taken on a store rooted at the control prefix)
//     activity/<gateway id>.json                  each gateway's per-tenant counters: format
//                                                 claas.tenant-activity/1, rewritten every refresh period
//
// Everything under the control prefix is provider-private: replication filters and mirrors must keep all
// of it (`controlKeyPrefix`) out of a client's replica. Paths in this module are keys relative to the
// bucket unless a function says "relative to the control prefix".

import { hostname } from 'node:os';
import { badInput } from '../errors.js';
import type { S3Location } from '../store/types.js';
import type { ClaasConfig, GatewayConfig } from './schema.js';

/** The default control prefix (no slashes). */
export const DEFAULT_CONTROL_PREFIX = 'claas-control';
/** Relative to the control prefix: the tenants object. */
export const CONTROL_TENANTS_KEY = 'tenants.json';
/** Relative to the control prefix: the folder of the per-gateway activity objects. */
export const CONTROL_ACTIVITY_PREFIX = 'activity/';

const SEGMENT_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** What gateway.id may be: it names the gateway's activity object. */
export const GATEWAY_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * A control prefix as written in claas.yaml, normalised (no leading or trailing '/'), or a BAD_INPUT error:
 * 1-8 segments of letters, digits, '.', '_' or '-', none of them '.' or '..'.
 */
export function normalizeControlPrefix(raw: string): string {
  const p = raw.replace(/^\/+|\/+$/g, '');
  const segments = p.split('/');
  if (p === '' || segments.length > 8 || !segments.every((s) => SEGMENT_RE.test(s) && !/^\.+$/.test(s))) {
    throw badInput(
      `the control prefix ${JSON.stringify(raw)} is not a usable key prefix`,
      'gateway.controlPrefix',
      `use 1-8 segments of letters, digits, ".", "_" or "-" separated by "/" (default ${DEFAULT_CONTROL_PREFIX})`,
    );
  }
  return p;
}

/** The control prefix of a configuration (gateway.controlPrefix, else the default), without slashes. */
export function controlPrefixOf(config: Pick<ClaasConfig, 'gateway'>): string {
  return config.gateway?.controlPrefix ?? DEFAULT_CONTROL_PREFIX;
}

/** The control prefix as a key prefix of the bucket, with its trailing '/': what filters must exclude. */
export function controlKeyPrefix(controlPrefix: string): string {
  return `${controlPrefix}/`;
}

/** True when a bucket key lies under the control prefix (provider-private). */
export function isControlKey(bucketKey: string, controlPrefix: string): boolean {
  return bucketKey.startsWith(controlKeyPrefix(controlPrefix));
}

/**
 * Why a control prefix cannot live beside a library prefix of the same bucket, or undefined when it can:
 * neither may contain the other (a library's gc, mirror and status would see control objects, and
 * replication of the library would carry the provider's data).
 */
export function controlPrefixConflict(controlPrefix: string, libraryPrefix: string): string | undefined {
  const c = `${controlPrefix}/`;
  const l = libraryPrefix === '' ? '' : `${libraryPrefix.replace(/\/+$/, '')}/`;
  if (l === '') {
    return `the library is the whole bucket, so the control prefix "${controlPrefix}/" would be inside it: give the library a prefix (s3://bucket/<prefix>)`;
  }
  if (c.startsWith(l)) {
    return `the control prefix "${controlPrefix}/" is inside the library prefix "${l}": it must be beside it`;
  }
  if (l.startsWith(c)) {
    return `the library prefix "${l}" is inside the control prefix "${controlPrefix}/": choose another gateway.controlPrefix`;
  }
  return undefined;
}

/** The control prefix of a store's bucket as a location (same bucket, endpoint, region and profile). */
export function controlLocation(store: S3Location, controlPrefix: string): S3Location {
  return { ...store, prefix: controlPrefix };
}

/** Relative to the control prefix: the activity object of one gateway. */
export function activityKey(gatewayId: string): string {
  return `${CONTROL_ACTIVITY_PREFIX}${gatewayId}.json`;
}

/** The gateway id an activity key names, or undefined for any other key. */
export function gatewayIdOfActivityKey(key: string): string | undefined {
  if (!key.startsWith(CONTROL_ACTIVITY_PREFIX) || !key.endsWith('.json')) return undefined;
  const id = key.slice(CONTROL_ACTIVITY_PREFIX.length, -'.json'.length);
  return GATEWAY_ID_RE.test(id) ? id : undefined;
}

/** True when a gateway id can name an activity object (gateway.id). */
export function isGatewayId(id: string): boolean {
  return GATEWAY_ID_RE.test(id);
}

/**
 * A gateway's stable id: gateway.id when configured, else host name and listen port ("web1-8443"), cleaned
 * to the characters a key may hold. Stable across restarts of the same gateway on the same host and port.
 */
export function gatewayId(gateway: Pick<GatewayConfig, 'id'>, port: number, host = hostname()): string {
  if (gateway.id !== undefined) return gateway.id;
  const clean = `${host}-${port}`.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[^A-Za-z0-9]+/, '');
  return (clean === '' ? `gateway-${port}` : clean).slice(0, 128);
}
