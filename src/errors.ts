// Typed errors a user can hit: each says what went wrong, on which input, and what to do about it.
// Everything below src/cli throws these; the CLI renders them and maps them to exit codes.

export type ErrorCode =
  | 'BAD_INPUT' // malformed OVF/OVA/JSON, unsafe names, bad URLs
  | 'NOT_FOUND' // a file, object, bucket or library that is not there
  | 'NOT_A_LIBRARY' // a destination that holds something else
  | 'AUTH' // wrong or missing credentials
  | 'FORBIDDEN' // credentials that may not do this (e.g. read-only used to publish)
  | 'LOCKED' // another publisher holds the library lock
  | 'UNREACHABLE' // endpoint down, DNS, connection refused
  | 'INTEGRITY' // content hash or size mismatch
  | 'CONFLICT' // the destination changed under us
  | 'PROTOCOL' // a peer answered something that breaks the protocol
  | 'INTERNAL';

export interface ClaasErrorOptions {
  /** The input the error is about: a file path, an object key, a URL (never with credentials). */
  input?: string;
  /** What the user can do about it. */
  hint?: string;
  cause?: unknown;
}

export class ClaasError extends Error {
  readonly code: ErrorCode;
  readonly input: string | undefined;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: ClaasErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ClaasError';
    this.code = code;
    this.input = options.input;
    this.hint = options.hint;
  }

  /** The message as the lines it is made of: one, unless a subclass lists several problems. */
  messageLines(): string[] {
    return [this.message];
  }

  /** A JSON-safe view for --json output. */
  toJSON(): { code: ErrorCode; message: string; input?: string; hint?: string } {
    return {
      code: this.code,
      message: this.message,
      ...(this.input === undefined ? {} : { input: this.input }),
      ...(this.hint === undefined ? {} : { hint: this.hint }),
    };
  }
}

export function badInput(message: string, input: string, hint?: string): ClaasError {
  return new ClaasError('BAD_INPUT', message, { input, ...(hint === undefined ? {} : { hint }) });
}

export function isClaasError(e: unknown, code?: ErrorCode): e is ClaasError {
  return e instanceof ClaasError && (code === undefined || e.code === code);
}

/** Process exit codes used by every command. */
export const EXIT = {
  OK: 0,
  FAILED: 1, // the command ran and found problems (verify failed, status lagging)
  BROKEN: 2, // status: a replica is broken
  USAGE: 64,
  BAD_INPUT: 65,
  NOT_FOUND: 66,
  UNREACHABLE: 69,
  INTERNAL: 70,
  LOCKED: 75,
  AUTH: 77,
} as const;

export function exitCodeFor(e: unknown): number {
  if (!(e instanceof ClaasError)) return EXIT.INTERNAL;
  switch (e.code) {
    case 'BAD_INPUT':
    case 'NOT_A_LIBRARY':
    case 'PROTOCOL':
    case 'INTEGRITY':
      return EXIT.BAD_INPUT;
    case 'NOT_FOUND':
      return EXIT.NOT_FOUND;
    case 'AUTH':
    case 'FORBIDDEN':
      return EXIT.AUTH;
    case 'LOCKED':
    case 'CONFLICT':
      return EXIT.LOCKED;
    case 'UNREACHABLE':
      return EXIT.UNREACHABLE;
    default:
      return EXIT.INTERNAL;
  }
}
