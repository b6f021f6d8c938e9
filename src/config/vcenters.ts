// The `vcenters:` section of claas.yaml: the vCenters `claas subscribe --config` rolls subscriptions out
// to (a service provider's estate), each with its login references and the gateway or URL it subscribes to.

import { z } from 'zod';

const text = z.string().trim().min(1, { error: 'must not be empty' });
const envName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'must be an environment variable name' });

/**
 * One vCenter of a rollout. Exactly one of gateway (a claas gateway's base URL: the library is at
 * <gateway>/<library>/lib.json), url (a subscription URL; "{library}" is replaced by the library name) or
 * replica ("origin" or a replica name of this configuration, subscribed to at its S3 URL). A vCenter that
 * `sources:` names (its libraries are read, nothing is subscribed) may have none: resolve.ts checks that.
 */
export const VcenterTargetSchema = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, {
      error: 'a vCenter name is 1-63 letters, digits, ".", "_" or "-"',
    }),
    server: text,
    user: text.optional(),
    userEnv: envName.optional(),
    passwordFile: text,
    thumbprint: text.optional(),
    caFile: text.optional(),
    datastore: text.optional(),
    gateway: text.optional(),
    url: text.optional(),
    replica: text.optional(),
    libraries: z.array(text).min(1).optional(),
    subscriptionPasswordFile: text.optional(),
    subscriptionThumbprint: text.optional(),
    onDemand: z.boolean().optional(),
    automaticSync: z.boolean().optional(),
  })
  .superRefine((v, ctx) => {
    const targets = subscriptionTargets(v);
    if (targets.length > 1) {
      ctx.addIssue({
        code: 'custom',
        path: [targets[1]!],
        message: 'give exactly one of gateway, url or replica (what this vCenter subscribes to)',
      });
    }
    if ((v.user === undefined) === (v.userEnv === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: v.user === undefined ? [] : ['userEnv'],
        message: 'give exactly one of user or userEnv (the variable holding the user name)',
      });
    }
  });

/** Which of gateway, url and replica (what the vCenter subscribes to) an entry gives. */
export function subscriptionTargets(v: {
  gateway?: string | undefined;
  url?: string | undefined;
  replica?: string | undefined;
}): ('gateway' | 'url' | 'replica')[] {
  return (['gateway', 'url', 'replica'] as const).filter((k) => v[k] !== undefined);
}

/** The message for a vCenter entry without a subscription target, where one is needed. */
export const NO_TARGET_MESSAGE =
  'give exactly one of gateway, url or replica (what this vCenter subscribes to); ' +
  'only a vCenter that sources: reads from may have none';

export const VcentersSchema = z.array(VcenterTargetSchema).min(1, { error: 'list at least one vCenter' });

export type VcenterTarget = z.infer<typeof VcenterTargetSchema>;
