// Logging in to vCenter: user and password go once, as HTTP Basic on POST to the session resource, and
// the answer is the session id that every later call sends in the vmware-api-session-id header.
// The password is never stored, logged or put into an error.

import { ClaasError } from '../errors.js';
import { AUTH_HINT } from './http-errors.js';
import type { ApiCall, JsonClient } from './json-client.js';
import { asObject, asString } from './shape.js';
import type { Flavour } from './types.js';

export interface Credentials {
  user: string;
  password: string;
}

/** Refuses empty credentials before anything is sent (vcsim, for one, would accept any non-empty pair). */
export function checkCredentials(server: string, c: Credentials): void {
  if (c.user.trim() === '') {
    throw new ClaasError('BAD_INPUT', `No vCenter user name given for ${server}`, {
      input: server,
      hint: 'Give the user with --user or CLAAS_VCENTER_USER (e.g. administrator@vsphere.local).',
    });
  }
  if (c.password === '') {
    throw new ClaasError(
      'BAD_INPUT',
      `An empty vCenter password was given for user '${c.user}' on ${server}`,
      {
        input: server,
        hint:
          'Put the password in a file readable only by you and pass --password-file <file>, or set ' +
          'CLAAS_VCENTER_PASSWORD; check that the file or variable is not empty.',
      },
    );
  }
}

/**
 * POSTs Basic credentials to a session resource. Returns the answer's JSON, or undefined when the
 * server has no such resource (404: the probe for an API flavour).
 */
export async function postSession(client: JsonClient, path: string, c: Credentials): Promise<unknown> {
  const basic = Buffer.from(`${c.user}:${c.password}`, 'utf8').toString('base64');
  const call: ApiCall = {
    op: `log in as '${c.user}'`,
    method: 'POST',
    path,
    headers: { Authorization: `Basic ${basic}`, 'vmware-use-header-authn': 'true' },
  };
  const res = await client.callRaw(call);
  if (res.status === 404) return undefined;
  if (res.status === 401 || res.status === 403) {
    throw new ClaasError(
      'AUTH',
      `vCenter ${client.server} refused the login of user '${c.user}' (HTTP ${res.status})`,
      {
        input: client.server,
        hint: AUTH_HINT,
      },
    );
  }
  return client.decode(call, res).json ?? null;
}

/** The session id in a login answer: a bare JSON string in /api, {"value": id} in /rest. */
export function sessionIdOf(server: string, flavour: Flavour, json: unknown): string {
  const ctx = { op: 'log in', server };
  return flavour === 'api'
    ? asString(ctx, json, 'the session id')
    : asString(ctx, asObject(ctx, json).value, '"value"');
}
