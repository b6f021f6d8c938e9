// `gateway.redirect` in claas.yaml: the gateway's optional direct data path. Off by default. `true` sends
// file downloads to the store with presigned URLs valid 15 minutes, from every store the gateway reads;
// the long form sets how long the URLs stay valid and which stores vCenters can reach:
//
//   gateway:
//     redirect:
//       expires: 15m        # 1s .. 7d (SigV4's limit)
//       stores: [west]      # only these (origin or replica names); default: every store in prefer
//
// The gateway itself (src/gateway/multi/redirect.ts) decides per request what is redirected.

import { z } from 'zod';
import { MAX_PRESIGN_SECONDS } from '../store/types.js';
import type { FieldPath } from './yaml-source.js';

/** How long presigned URLs stay valid unless `expires` says otherwise. */
export const DEFAULT_REDIRECT_SECONDS = 15 * 60;

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };
const EXPIRES_RE = /^(\d{1,7})(s|m|h|d)$/;

/** "15m" -> 900; undefined when the text is not a whole number of s, m, h or d. */
export function expirySeconds(text: string): number | undefined {
  const m = EXPIRES_RE.exec(text.trim());
  return m === null ? undefined : Number(m[1]) * UNIT_SECONDS[m[2]!]!;
}

export const RedirectSchema = z.union([
  z.boolean(),
  z.strictObject({
    /** How long a presigned URL is valid: 90s, 15m, 2h, 7d. */
    expires: z
      .string()
      .refine((t) => expirySeconds(t) !== undefined, {
        error: 'expected a duration like 90s, 15m, 2h or 7d',
      })
      .refine(
        (t) => {
          const s = expirySeconds(t);
          return s === undefined || (s >= 1 && s <= MAX_PRESIGN_SECONDS);
        },
        { error: 'a presigned URL is valid for 1s to 7d (SigV4 allows no longer)' },
      )
      .optional(),
    /** The stores vCenters can reach (origin or replica names); omitted = every store the gateway reads. */
    stores: z
      .array(z.string().trim().min(1, { error: 'must not be empty' }))
      .min(1)
      .optional(),
  }),
]);

export type RawRedirect = z.infer<typeof RedirectSchema>;

/** gateway.redirect resolved: on (with these settings) or absent (off). */
export interface RedirectConfig {
  /** How long each presigned URL is valid. */
  expiresSeconds: number;
  /** Names of the stores that may be redirected to; undefined = every store the gateway reads. */
  stores?: string[];
}

/**
 * Resolves gateway.redirect against the configuration's store names (the origin and the replicas). Problems
 * come back with their paths below `gateway.redirect`.
 */
export function resolveRedirect(
  raw: RawRedirect | undefined,
  storeNames: readonly string[],
): { redirect?: RedirectConfig; problems: { path: FieldPath; message: string }[] } {
  if (raw === undefined || raw === false) return { problems: [] };
  if (raw === true) return { redirect: { expiresSeconds: DEFAULT_REDIRECT_SECONDS }, problems: [] };
  const problems: { path: FieldPath; message: string }[] = [];
  const seen = new Set<string>();
  for (const [i, name] of (raw.stores ?? []).entries()) {
    if (!storeNames.includes(name)) {
      const known = storeNames.map((n) => `"${n}"`).join(', ');
      problems.push({ path: ['stores', i], message: `no store is named "${name}"; known: ${known}` });
    }
    if (seen.has(name)) problems.push({ path: ['stores', i], message: `"${name}" is listed twice` });
    seen.add(name);
  }
  const expiresSeconds =
    raw.expires === undefined
      ? DEFAULT_REDIRECT_SECONDS
      : (expirySeconds(raw.expires) ?? DEFAULT_REDIRECT_SECONDS);
  return {
    redirect: { expiresSeconds, ...(raw.stores === undefined ? {} : { stores: [...raw.stores] }) },
    problems,
  };
}

/** The redirect settings for one store (by name), or undefined when it is served through the gateway. */
export function redirectForStore(
  redirect: RedirectConfig | undefined,
  store: string,
): { expiresSeconds: number } | undefined {
  if (redirect === undefined) return undefined;
  if (redirect.stores !== undefined && !redirect.stores.includes(store)) return undefined;
  return { expiresSeconds: redirect.expiresSeconds };
}
