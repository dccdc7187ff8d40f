import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { Counter, Gauge, Histogram, Registry } from "./prom.ts";

describe("the Prometheus text writer", () => {
  it("writes counters, gauges and cumulative histograms that promtool accepts, escaping label values", async () => {
    const registry = new Registry();
    const counter = new Counter({
      name: "t_things_total",
      help: "Things\nwith a back\\slash",
      labelNames: ["kind"] as const,
      registers: [registry],
    });
    const gauge = new Gauge({ name: "t_level", help: "Level", registers: [registry] });
    const histogram = new Histogram({
      name: "t_seconds",
      help: "Durations",
      labelNames: ["op"] as const,
      buckets: [0.1, 1],
      registers: [registry],
    });
    counter.inc({ kind: 'a "quoted"\nvalue\\' }, 2);
    counter.inc({ kind: 'a "quoted"\nvalue\\' });
    gauge.set(-1.5);
    histogram.observe({ op: "x" }, 0.05);
    histogram.labels({ op: "x" }).observe(0.5);
    histogram.observe({ op: "x" }, 7);
    const text = await registry.metrics();
    expect(text).toBe(
      [
        "# HELP t_things_total Things\\nwith a back\\\\slash",
        "# TYPE t_things_total counter",
        't_things_total{kind="a \\"quoted\\"\\nvalue\\\\"} 3',
        "",
        "# HELP t_level Level",
        "# TYPE t_level gauge",
        "t_level -1.5",
        "",
        "# HELP t_seconds Durations",
        "# TYPE t_seconds histogram",
        't_seconds_bucket{op="x",le="0.1"} 1',
        't_seconds_bucket{op="x",le="1"} 2',
        't_seconds_bucket{op="x",le="+Inf"} 3',
        't_seconds_sum{op="x"} 7.55',
        't_seconds_count{op="x"} 3',
        "",
      ].join("\n"),
    );
    const checked = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
    expect(checked.status, checked.stdout + checked.stderr).toBe(0);
  });

  it("refuses a counter going down and a missing label", () => {
    const counter = new Counter({ name: "t_total", help: "t", labelNames: ["kind"] as const });
    expect(() => counter.inc({ kind: "a" }, -1)).toThrow(/only goes up/);
    expect(() => counter.inc({} as { kind: string })).toThrow(/label kind is required/);
  });
});
