// Reading vCenter's JSON answers defensively: every accessor names the operation and the field, and a
// value of the wrong type is a PROTOCOL error (the server broke the API's contract), never a crash.

import { ClaasError } from '../errors.js';

export type Json = Record<string, unknown>;

/** Where an answer came from, for error messages: the operation and the server. */
export interface ShapeContext {
  op: string;
  server: string;
}

export function protocolError(ctx: ShapeContext, what: string): ClaasError {
  return new ClaasError('PROTOCOL', `vCenter ${ctx.server} answered ${ctx.op} with ${what}`, {
    input: ctx.server,
    hint: 'The server does not answer like the vSphere Automation API; check that it is a vCenter (6.5 or later).',
  });
}

export function asObject(ctx: ShapeContext, v: unknown, field = 'the answer'): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw protocolError(ctx, `${field} that is not a JSON object`);
  }
  return v as Json;
}

export function asArray(ctx: ShapeContext, v: unknown, field = 'the answer'): unknown[] {
  if (!Array.isArray(v)) throw protocolError(ctx, `${field} that is not a JSON array`);
  return v;
}

export function asString(ctx: ShapeContext, v: unknown, field = 'the answer'): string {
  if (typeof v !== 'string') throw protocolError(ctx, `${field} that is not a string`);
  return v;
}

export function asStringArray(ctx: ShapeContext, v: unknown, field = 'the answer'): string[] {
  return asArray(ctx, v, field).map((x, i) => asString(ctx, x, `${field}[${i}]`));
}

export function reqString(ctx: ShapeContext, o: Json, key: string): string {
  return asString(ctx, o[key], `"${key}"`);
}

export function optString(ctx: ShapeContext, o: Json, key: string): string | undefined {
  const v = o[key];
  return v === undefined || v === null ? undefined : asString(ctx, v, `"${key}"`);
}

export function optBoolean(ctx: ShapeContext, o: Json, key: string): boolean | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw protocolError(ctx, `"${key}" that is not true or false`);
  return v;
}

/** Integers arrive as JSON numbers (or, from some releases, as digit strings). */
export function optInteger(ctx: ShapeContext, o: Json, key: string): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) {
    throw protocolError(ctx, `"${key}" that is not an integer`);
  }
  return n;
}

export function optObject(ctx: ShapeContext, o: Json, key: string): Json | undefined {
  const v = o[key];
  return v === undefined || v === null ? undefined : asObject(ctx, v, `"${key}"`);
}

/** The text of a vAPI LocalizableMessage ({default_message, id, args}), if it has one. */
export function messageText(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const m = v as Json;
  if (typeof m.default_message === 'string' && m.default_message !== '') return m.default_message;
  if (typeof m.id === 'string' && m.id !== '') return m.id;
  return undefined;
}
