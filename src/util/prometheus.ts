// Prometheus metrics in the text exposition format (version 0.0.4), without a client library: a handful of
// counters with labels, and gauges computed when /metrics is scraped. Label values are escaped as the
// format requires (backslash, double quote, newline). The gateway's /metrics and `claas run`'s use it.

export type Labels = Record<string, string>;

const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function formatLabels(labels: Labels): string {
  const names = Object.keys(labels).sort();
  if (names.length === 0) return '';
  for (const n of names) if (!LABEL_RE.test(n)) throw new Error(`invalid label name ${n}`);
  return `{${names.map((n) => `${n}="${escapeLabelValue(labels[n]!)}"`).join(',')}}`;
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  samples(): Iterable<[Labels, number]>;
}

export class Counter {
  private readonly values = new Map<string, [Labels, number]>();
  constructor(readonly maxSeries = 10_000) {}

  inc(labels: Labels = {}, by = 1): void {
    if (!(by >= 0)) return;
    const key = formatLabels(labels);
    const cur = this.values.get(key);
    if (cur !== undefined) cur[1] += by;
    else if (this.values.size < this.maxSeries) this.values.set(key, [{ ...labels }, by]);
  }

  get(labels: Labels = {}): number {
    return this.values.get(formatLabels(labels))?.[1] ?? 0;
  }

  *samples(): Iterable<[Labels, number]> {
    yield* this.values.values();
  }
}

export class Gauge {
  private readonly values = new Map<string, [Labels, number]>();

  set(labels: Labels, value: number): void {
    this.values.set(formatLabels(labels), [{ ...labels }, value]);
  }

  inc(labels: Labels = {}, by = 1): void {
    const key = formatLabels(labels);
    const cur = this.values.get(key);
    if (cur !== undefined) cur[1] += by;
    else this.values.set(key, [{ ...labels }, by]);
  }

  get(labels: Labels = {}): number {
    return this.values.get(formatLabels(labels))?.[1] ?? 0;
  }

  clear(): void {
    this.values.clear();
  }

  *samples(): Iterable<[Labels, number]> {
    yield* this.values.values();
  }
}

export class MetricsRegistry {
  private readonly families: Family[] = [];
  private readonly collectors: (() => void)[] = [];

  private add(f: Family): void {
    if (!NAME_RE.test(f.name)) throw new Error(`invalid metric name ${f.name}`);
    if (this.families.some((x) => x.name === f.name)) throw new Error(`metric ${f.name} registered twice`);
    this.families.push(f);
  }

  counter(name: string, help: string): Counter {
    const c = new Counter();
    this.add({ name, help, type: 'counter', samples: () => c.samples() });
    return c;
  }

  gauge(name: string, help: string): Gauge {
    const g = new Gauge();
    this.add({ name, help, type: 'gauge', samples: () => g.samples() });
    return g;
  }

  /** Runs before every render: the place to set gauges computed from current state. */
  onCollect(fn: () => void): void {
    this.collectors.push(fn);
  }

  render(): string {
    for (const fn of this.collectors) fn();
    const lines: string[] = [];
    for (const f of this.families) {
      lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
      for (const [labels, value] of f.samples())
        lines.push(`${f.name}${formatLabels(labels)} ${formatValue(value)}`);
    }
    return `${lines.join('\n')}\n`;
  }
}

/** Content-Type of the text exposition format. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
