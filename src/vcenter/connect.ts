// connectVcenter(): checks the input, opens HTTPS with the chosen trust, logs in, and returns the
// VcenterApi of the flavour the server speaks. Probing is the login itself: POST /api/session answers 404
// on vCenters before 7.0 U2 (and on vcsim), which then get the legacy /rest flavour.

import { ClaasError } from '../errors.js';
import type { VcenterApi } from './api.js';
import { RestApi } from './rest-api.js';
import { legacyRoutes, REST_SESSION_PATH } from './routes-legacy.js';
import { API_SESSION_PATH, modernRoutes } from './routes-modern.js';
import { JsonClient } from './json-client.js';
import { checkCredentials, postSession, sessionIdOf } from './session.js';
import type { Credentials } from './session.js';
import { Transport } from './transport.js';
import type { TransportOptions } from './transport.js';
import type { Flavour } from './types.js';

export interface VcenterConnectOptions extends TransportOptions, Credentials {
  /** vc.example.com, vc.example.com:8443 or https://vc.example.com[/...]. */
  server: string;
  /** Which API to speak; 'auto' (default) probes /api first. */
  flavour?: Flavour | 'auto';
}

/** The vCenter's origin (https://host[:port]) from what a user typed. */
export function parseServer(server: string): string {
  const text = server.trim();
  const fail = (why: string) =>
    new ClaasError('BAD_INPUT', `Not a vCenter address: ${why}`, {
      // Never echo a URL that may carry credentials.
      input: why.includes('credentials') ? '(vCenter URL)' : text,
      hint: 'Give the vCenter as a host name, host:port or https:// URL, e.g. --server vc.example.com.',
    });
  if (text === '') throw fail('it is empty');
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`);
  } catch {
    throw fail(`'${text}' is not a host name or URL`);
  }
  if (url.username !== '' || url.password !== '')
    throw fail('the URL holds credentials; use --user and --password-file');
  if (url.protocol !== 'https:') throw fail(`${url.protocol} is not supported (vCenter speaks HTTPS only)`);
  return url.origin;
}

export async function connectVcenter(o: VcenterConnectOptions): Promise<VcenterApi> {
  const server = parseServer(o.server);
  const creds: Credentials = { user: o.user, password: o.password };
  checkCredentials(server, creds);
  const want = o.flavour ?? 'auto';
  const client = new JsonClient(await Transport.create(o), server);
  try {
    if (want !== 'rest') {
      const json = await postSession(client, API_SESSION_PATH, creds);
      if (json !== undefined) {
        client.setSession(sessionIdOf(server, 'api', json));
        return new RestApi(client, modernRoutes);
      }
      if (want === 'api') {
        throw new ClaasError(
          'NOT_FOUND',
          `vCenter ${server} has no /api (vSphere Automation API of 7.0 U2 and later)`,
          {
            input: server,
            hint: 'Let claas pick the API flavour itself (the default), or upgrade vCenter.',
          },
        );
      }
    }
    const json = await postSession(client, REST_SESSION_PATH, creds);
    if (json === undefined) {
      throw new ClaasError(
        'PROTOCOL',
        `${server} has neither /api/session nor ${REST_SESSION_PATH}: is it a vCenter?`,
        {
          input: server,
          hint: 'Give the address of a vCenter Server (6.5 or later), not of an ESXi host or another service.',
        },
      );
    }
    client.setSession(sessionIdOf(server, 'rest', json));
    return new RestApi(client, legacyRoutes);
  } catch (e) {
    client.close();
    throw e;
  }
}
