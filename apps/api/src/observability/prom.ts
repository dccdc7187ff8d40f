/**
 * The Prometheus text format (0.0.4): counters, gauges and histograms with fixed label names, and a registry
 * that writes them. Hand-written rather than prom-client, whose modules `require("util")` by its bare name: the
 * Worker bundle takes Node built-ins only as `node:*` (entry/worker.test.ts), and wrangler cannot alias a
 * bare built-in to one. This covers only what metrics.ts needs.
 */

type Labels<L extends string> = Record<L, string>;

/** A label value escaped as the text format wants (backslash, double quote, newline). */
function escapeValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function formatNumber(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return Number.isNaN(value) ? "NaN" : String(value);
}

function labelText(pairs: [string, string][]): string {
  return pairs.length ? `{${pairs.map(([k, v]) => `${k}="${escapeValue(v)}"`).join(",")}}` : "";
}

interface Options<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
  registers?: Registry[];
}

abstract class Metric<L extends string, S> {
  readonly name: string;
  readonly help: string;
  protected readonly labelNames: readonly L[];
  protected readonly series = new Map<string, { pairs: [string, string][]; state: S }>();
  abstract readonly type: "counter" | "gauge" | "histogram";

  constructor(options: Options<L>) {
    this.name = options.name;
    this.help = options.help;
    this.labelNames = options.labelNames ?? [];
    for (const registry of options.registers ?? []) registry.register(this);
  }

  protected abstract fresh(): S;

  /** The series for `labels`, created on first use. */
  protected at(labels: Partial<Labels<L>> = {}): S {
    const values = this.labelNames.map((name) => {
      const value = labels[name];
      if (value === undefined) throw new Error(`${this.name}: label ${name} is required`);
      return value;
    });
    const key = values.join("\u0000");
    let found = this.series.get(key);
    if (!found) {
      found = { pairs: this.labelNames.map((name, i) => [name, values[i]!]), state: this.fresh() };
      this.series.set(key, found);
    }
    return found.state;
  }

  /** Drops the series for `labels`. */
  remove(labels: Labels<L>): void {
    this.series.delete(this.labelNames.map((name) => labels[name]).join("\u0000"));
  }

  protected abstract lines(pairs: [string, string][], state: S): string[];

  write(): string {
    // A metric without labels has its one series from the start (0), as Prometheus clients do.
    if (this.labelNames.length === 0) this.at();
    const out = [`# HELP ${this.name} ${this.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`];
    out.push(`# TYPE ${this.name} ${this.type}`);
    for (const { pairs, state } of this.series.values()) out.push(...this.lines(pairs, state));
    return out.join("\n");
  }
}

type Scalar = { value: number };

export class Counter<L extends string = never> extends Metric<L, Scalar> {
  readonly type = "counter";
  protected fresh(): Scalar {
    return { value: 0 };
  }
  inc(labels?: Labels<L> | number, by = 1): void {
    const [l, amount] = typeof labels === "number" ? [undefined, labels] : [labels, by];
    if (amount < 0) throw new Error(`${this.name}: a counter only goes up`);
    this.at(l).value += amount;
  }
  protected lines(pairs: [string, string][], state: Scalar): string[] {
    return [`${this.name}${labelText(pairs)} ${formatNumber(state.value)}`];
  }
}

export class Gauge<L extends string = never> extends Metric<L, Scalar> {
  readonly type = "gauge";
  protected fresh(): Scalar {
    return { value: 0 };
  }
  set(labels: Labels<L> | number, value?: number): void {
    if (typeof labels === "number") this.at().value = labels;
    else this.at(labels).value = value ?? 0;
  }
  protected lines(pairs: [string, string][], state: Scalar): string[] {
    return [`${this.name}${labelText(pairs)} ${formatNumber(state.value)}`];
  }
}

type Buckets = { counts: number[]; sum: number; count: number };

/** One series of a histogram, found once (`labels()`), so the hot path skips the label lookup. */
export interface HistogramChild {
  observe(value: number): void;
}

export class Histogram<L extends string = never> extends Metric<L, Buckets> {
  readonly type = "histogram";
  private readonly bounds: number[];

  constructor(options: Options<L> & { buckets: number[] }) {
    super(options);
    this.bounds = [...options.buckets].sort((a, b) => a - b);
  }
  protected fresh(): Buckets {
    return { counts: this.bounds.map(() => 0), sum: 0, count: 0 };
  }
  private record(state: Buckets, value: number): void {
    const i = this.bounds.findIndex((bound) => value <= bound);
    if (i >= 0) state.counts[i]!++;
    state.sum += value;
    state.count++;
  }
  observe(labels: Labels<L>, value: number): void {
    this.record(this.at(labels), value);
  }
  labels(labels: Labels<L>): HistogramChild {
    const state = this.at(labels);
    return { observe: (value) => this.record(state, value) };
  }
  protected lines(pairs: [string, string][], state: Buckets): string[] {
    const out: string[] = [];
    let cumulative = 0;
    this.bounds.forEach((bound, i) => {
      cumulative += state.counts[i]!;
      out.push(`${this.name}_bucket${labelText([...pairs, ["le", formatNumber(bound)]])} ${cumulative}`);
    });
    out.push(`${this.name}_bucket${labelText([...pairs, ["le", "+Inf"]])} ${state.count}`);
    out.push(`${this.name}_sum${labelText(pairs)} ${formatNumber(state.sum)}`);
    out.push(`${this.name}_count${labelText(pairs)} ${state.count}`);
    return out;
  }
}

/** The metrics one /metrics answer writes. */
export class Registry {
  readonly contentType = "text/plain; version=0.0.4; charset=utf-8";
  private readonly entries: { write(): string }[] = [];
  register(metric: { write(): string }): void {
    this.entries.push(metric);
  }
  async metrics(): Promise<string> {
    return `${this.entries.map((metric) => metric.write()).join("\n\n")}\n`;
  }
}
