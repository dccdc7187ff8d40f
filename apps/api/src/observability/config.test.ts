import { describe, expect, it } from "vitest";
import { parseEnv } from "../env.ts";

describe("observability variables", () => {
  it("defaults to metrics on, bucket checks every 300 s, no token and no traces", () => {
    expect(parseEnv({}).observability).toEqual({
      metricsEnabled: true,
      metricsToken: undefined,
      doctorIntervalSeconds: 300,
      otel: undefined,
    });
  });

  it("reads METRICS_TOKEN, DOCTOR_INTERVAL and METRICS_ENABLED, naming the variable on a bad value", () => {
    const token = "t".repeat(24);
    expect(
      parseEnv({ METRICS_TOKEN: token, DOCTOR_INTERVAL: "0", METRICS_ENABLED: "false" }).observability,
    ).toMatchObject({ metricsEnabled: false, metricsToken: token, doctorIntervalSeconds: 0 });
    expect(() => parseEnv({ METRICS_TOKEN: "short" })).toThrow(/^METRICS_TOKEN: must be at least 16/);
    expect(() => parseEnv({ DOCTOR_INTERVAL: "soon" })).toThrow(/^DOCTOR_INTERVAL: /);
    expect(() => parseEnv({ METRICS_ENABLED: "maybe" })).toThrow(/^METRICS_ENABLED: /);
  });

  it("turns traces on with the standard OTEL_* variables", () => {
    const { otel } = parseEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: "https://collector.example:4318/",
      OTEL_EXPORTER_OTLP_HEADERS: "x-api-key=abc%20def,tenant=7",
      OTEL_SERVICE_NAME: "uploads",
      OTEL_RESOURCE_ATTRIBUTES: "deployment.environment=prod",
    }).observability;
    expect(otel).toEqual({
      tracesEndpoint: "https://collector.example:4318/v1/traces",
      headers: { "x-api-key": "abc def", tenant: "7" },
      serviceName: "uploads",
      resourceAttributes: { "deployment.environment": "prod" },
      sampler: { name: "parentbased_always_on", ratio: 1 },
    });
    // The signal-specific endpoint is used as given.
    expect(
      parseEnv({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://127.0.0.1:4318/custom" }).observability.otel
        ?.tracesEndpoint,
    ).toBe("http://127.0.0.1:4318/custom");
    expect(
      parseEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_SDK_DISABLED: "true" }).observability
        .otel,
    ).toBeUndefined();
    expect(() => parseEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318" })).toThrow(
      /^OTEL_EXPORTER_OTLP_ENDPOINT: /,
    );
    expect(() =>
      parseEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_EXPORTER_OTLP_HEADERS: "novalue" }),
    ).toThrow(/^OTEL_EXPORTER_OTLP_HEADERS: /);
  });

  it("reads OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG, naming the variable on a bad value", () => {
    const on = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" };
    expect(
      parseEnv({ ...on, OTEL_TRACES_SAMPLER: "ParentBased_TraceIdRatio", OTEL_TRACES_SAMPLER_ARG: "0.1" })
        .observability.otel?.sampler,
    ).toEqual({ name: "parentbased_traceidratio", ratio: 0.1 });
    expect(parseEnv({ ...on, OTEL_TRACES_SAMPLER: "always_off" }).observability.otel?.sampler).toEqual({
      name: "always_off",
      ratio: 1,
    });
    expect(() => parseEnv({ ...on, OTEL_TRACES_SAMPLER: "jaeger_remote" })).toThrow(/^OTEL_TRACES_SAMPLER: /);
    expect(() => parseEnv({ ...on, OTEL_TRACES_SAMPLER_ARG: "1.5" })).toThrow(/^OTEL_TRACES_SAMPLER_ARG: /);
    expect(() => parseEnv({ ...on, OTEL_TRACES_SAMPLER_ARG: "half" })).toThrow(/^OTEL_TRACES_SAMPLER_ARG: /);
  });
});
