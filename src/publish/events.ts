// Progress events the publish engine emits; the CLI renders them (nothing below src/cli prints).

export type PublishEvent =
  | { type: 'scan-start'; source: string }
  | { type: 'hash-progress'; path: string; bytes: number; total: number }
  | {
      type: 'scan-done';
      items: number;
      files: number;
      bytes: number;
      hashedBytes: number;
      cachedFiles: number;
    }
  | {
      type: 'plan';
      added: number;
      changed: number;
      removed: number;
      unchanged: number;
      uploadBytes: number;
      uploadFiles: number;
    }
  | { type: 'file-start'; key: string; size: number }
  | { type: 'file-progress'; key: string; bytes: number }
  | { type: 'file-done'; key: string; size: number; skipped: boolean }
  | { type: 'commit'; step: 'snapshot' | 'item' | 'items' | 'lib'; key: string }
  | { type: 'gc'; deleted: number; kept: number }
  | { type: 'warning'; message: string; input?: string };

export type EventSink = (event: PublishEvent) => void;

export const ignoreEvents: EventSink = () => undefined;
