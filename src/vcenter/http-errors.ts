// vCenter's error answers as ClaasErrors naming the server and the operation. Both flavours' error
// documents are understood: /api {"error_type":"NOT_FOUND","messages":[...]} and /rest
// {"type":"com.vmware.vapi.std.errors.not_found","value":{"messages":[...]}}.

import { ClaasError } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import { messageText } from './shape.js';

export const AUTH_HINT =
  'Check the user name and password (--user and --password-file, or CLAAS_VCENTER_USER and ' +
  'CLAAS_VCENTER_PASSWORD); an idle session may also have expired.';

const KIND_CODES: Record<string, ErrorCode> = {
  UNAUTHENTICATED: 'AUTH',
  UNAUTHORIZED: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  ALREADY_EXISTS: 'CONFLICT',
  ALREADY_IN_DESIRED_STATE: 'CONFLICT',
  CONCURRENT_CHANGE: 'CONFLICT',
  NOT_ALLOWED_IN_CURRENT_STATE: 'CONFLICT',
  RESOURCE_BUSY: 'CONFLICT',
  RESOURCE_IN_USE: 'CONFLICT',
  INVALID_ARGUMENT: 'BAD_INPUT',
  INVALID_ELEMENT_TYPE: 'BAD_INPUT',
  INVALID_ELEMENT_CONFIGURATION: 'BAD_INPUT',
  INVALID_REQUEST: 'BAD_INPUT',
  UNSUPPORTED: 'BAD_INPUT',
  UNABLE_TO_ALLOCATE_RESOURCE: 'CONFLICT',
  SERVICE_UNAVAILABLE: 'UNREACHABLE',
  TIMED_OUT: 'UNREACHABLE',
};

const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'BAD_INPUT',
  401: 'AUTH',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  502: 'UNREACHABLE',
  503: 'UNREACHABLE',
  504: 'UNREACHABLE',
};

const HINTS: Partial<Record<ErrorCode, string>> = {
  AUTH: AUTH_HINT,
  FORBIDDEN: 'The vCenter user lacks the privilege for this; ask the vCenter administrator for the role.',
  NOT_FOUND: 'Check the name or id: it does not exist on this vCenter (or is not visible to this user).',
  CONFLICT:
    'It already exists, or is in a state that does not allow this (busy, in use); check it in vCenter.',
  BAD_INPUT: 'vCenter refused the values sent; check the names, ids and settings given.',
  UNREACHABLE: 'vCenter or one of its services is down or busy; try again later.',
  PROTOCOL: 'The server does not behave like the vSphere Automation API expects.',
};

interface VapiError {
  /** NOT_FOUND, ALREADY_EXISTS, ... */
  kind?: string;
  messages: string[];
}

/** Parses a vAPI error document of either flavour; anything else yields a short text excerpt. */
export function parseVapiError(body: Buffer | string): VapiError {
  const text = body.toString();
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    const excerpt = text.replace(/\s+/g, ' ').trim().slice(0, 200);
    return { messages: excerpt === '' ? [] : [excerpt] };
  }
  if (typeof doc !== 'object' || doc === null) return { messages: [] };
  const o = doc as Record<string, unknown>;
  let kind: string | undefined;
  let holder: Record<string, unknown> = o;
  if (typeof o.error_type === 'string') {
    kind = o.error_type;
  } else if (typeof o.type === 'string') {
    kind = o.type.split('.').pop()?.toUpperCase();
    if (typeof o.value === 'object' && o.value !== null) holder = o.value as Record<string, unknown>;
  }
  const messages = Array.isArray(holder.messages) ? holder.messages.flatMap((m) => messageText(m) ?? []) : [];
  return { ...(kind === undefined ? {} : { kind }), messages };
}

/** The ClaasError for a non-success answer to `op` (e.g. "create library 'x'") at server+path. */
export function statusError(
  server: string,
  path: string,
  op: string,
  status: number,
  body: Buffer | string,
): ClaasError {
  const { kind, messages } = parseVapiError(body);
  const code: ErrorCode =
    (kind === undefined ? undefined : KIND_CODES[kind]) ?? STATUS_CODES[status] ?? 'PROTOCOL';
  const detail = messages.length > 0 ? `: ${messages.join('; ')}` : '';
  const label = kind === undefined ? `HTTP ${status}` : `HTTP ${status} ${kind}`;
  return new ClaasError(code, `vCenter ${server}: ${op} failed (${label})${detail}`, {
    input: `${server}${path}`,
    ...(HINTS[code] === undefined ? {} : { hint: HINTS[code] }),
  });
}
