/**
 * OpenTelemetry traces behind one small seam. Off (no OTEL_EXPORTER_OTLP_ENDPOINT), every call runs its function
 * and nothing else: the SDK is never even imported. On, the SDK is loaded on first use (dynamic import) and spans
 * go out over OTLP/HTTP, which works wherever fetch does (Node, Bun, Deno, Workers).
 */
import type { Context, Span, TextMapGetter, Tracer } from "@opentelemetry/api";
import type { OtelConfig, TraceSampler } from "../env.ts";

export type SpanAttributes = Record<string, string | number | boolean>;

/** The request's server span, for the HTTP middleware to name and finish once it knows the route and status. */
export interface RequestSpan {
  /** Names the span `<method> <route>` and records the status. */
  end(route: string, status: number): void;
}

export interface Tracing {
  readonly enabled: boolean;
  /** Runs `fn` in a child span of the active one. */
  span<T>(name: string, fn: () => Promise<T>, attributes?: SpanAttributes): Promise<T>;
  /** Runs `fn` in a server span for the request, a child of the caller's W3C `traceparent` when it sent one. */
  request<T>(request: Request, fn: (span: RequestSpan) => Promise<T>): Promise<T>;
  /** The active span's ids, for log lines. */
  ids(): { trace_id: string; span_id: string } | undefined;
  /** Sends the spans waiting in the batch. */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

const noSpan: RequestSpan = { end() {} };

export const noTracing: Tracing = {
  enabled: false,
  span: (_name, fn) => fn(),
  request: (_request, fn) => fn(noSpan),
  ids: () => undefined,
  flush: async () => {},
  shutdown: async () => {},
};

/** Traces for `config`, or `noTracing` when no endpoint is configured. */
export function createTracing(config: OtelConfig | undefined): Tracing {
  if (!config) return noTracing;
  let sdk: Sdk | undefined;
  const loading = loadSdk(config).then((loaded) => {
    sdk = loaded;
    return loaded;
  });
  // Until the SDK is loaded (the first request waits for it) spans are skipped rather than queued.
  return {
    enabled: true,
    span: (name, fn, attributes) => (sdk ? sdk.span(name, fn, attributes) : fn()),
    request: async (request, fn) => (sdk ?? (await loading)).request(request, fn),
    ids: () => sdk?.ids(),
    flush: async () => (await loading).provider.forceFlush(),
    shutdown: async () => (await loading).provider.shutdown(),
  };
}

type Sdk = Awaited<ReturnType<typeof loadSdk>>;

/**
 * A package's exports whether it arrives as an ES module namespace or, bundled (apps/api/build.ts splits the
 * CommonJS SDK packages into chunks), as a namespace holding only `default`, the CommonJS `module.exports`.
 */
function exportsOf<T extends object>(namespace: T): T {
  const commonjs = (namespace as { default?: unknown }).default;
  return commonjs && typeof commonjs === "object" && !(Object.keys(namespace).length > 1)
    ? (commonjs as T)
    : namespace;
}

/**
 * The sampler OTEL_TRACES_SAMPLER names, built from the parsed config rather than left to the SDK: its own
 * reading is of process.env, which a Worker (and an embedder passing its own environment) does not have.
 */
function samplerOf(base: typeof import("@opentelemetry/sdk-trace-base"), sampler: TraceSampler) {
  const root = sampler.name.replace(/^parentbased_/, "");
  const chosen =
    root === "always_off"
      ? new base.AlwaysOffSampler()
      : root === "traceidratio"
        ? new base.TraceIdRatioBasedSampler(sampler.ratio)
        : new base.AlwaysOnSampler();
  return sampler.name.startsWith("parentbased_") ? new base.ParentBasedSampler({ root: chosen }) : chosen;
}

async function loadSdk(config: OtelConfig) {
  const [api, core, base, exporter, resources, hooks] = await Promise.all([
    import("@opentelemetry/api").then(exportsOf),
    import("@opentelemetry/core").then(exportsOf),
    import("@opentelemetry/sdk-trace-base").then(exportsOf),
    import("@opentelemetry/exporter-trace-otlp-http").then(exportsOf),
    import("@opentelemetry/resources").then(exportsOf),
    import("node:async_hooks"),
  ]);
  const provider = new base.BasicTracerProvider({
    sampler: samplerOf(base, config.sampler ?? { name: "parentbased_always_on", ratio: 1 }),
    resource: resources.resourceFromAttributes({
      ...config.resourceAttributes,
      "service.name": config.serviceName,
    }),
    spanProcessors: [
      new base.BatchSpanProcessor(
        new exporter.OTLPTraceExporter({ url: config.tracesEndpoint, headers: config.headers }),
      ),
    ],
  });
  // This Signet's own context and tracer, not the process-global ones: an embedder's OTel setup stays theirs.
  // AsyncLocalStorage is on Node, Bun, Deno and Workers (nodejs_compat) alike.
  const storage = new hooks.AsyncLocalStorage<Context>();
  const contexts = {
    active: (): Context => storage.getStore() ?? api.ROOT_CONTEXT,
    with: <T>(context: Context, fn: () => T): T => storage.run(context, fn),
  };
  const propagator = new core.W3CTraceContextPropagator();
  // One getter for every request (the propagator reads `traceparent` and `tracestate` through it).
  const headerGetter: TextMapGetter<Headers> = {
    get: (headers, key) => headers.get(key) ?? undefined,
    keys: (headers) => [...headers.keys()],
  };
  const tracer: Tracer = provider.getTracer("signet");

  async function within<T>(span: Span, context: Context, fn: () => Promise<T>): Promise<T> {
    try {
      return await contexts.with(api.trace.setSpan(context, span), fn);
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: api.SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  }

  return {
    provider,
    span<T>(name: string, fn: () => Promise<T>, attributes?: SpanAttributes): Promise<T> {
      const parent = contexts.active();
      // Under a request the sampler dropped, a child would be dropped too: skip making it at all.
      if (api.trace.getSpan(parent)?.isRecording() === false) return fn();
      // Spans outside a request (a sweeper pass, the doctor) start their own trace.
      const span = tracer.startSpan(name, attributes ? { attributes } : {}, parent);
      return within(span, parent, fn);
    },
    request<T>(request: Request, fn: (span: RequestSpan) => Promise<T>): Promise<T> {
      const parent = propagator.extract(api.ROOT_CONTEXT, request.headers, headerGetter);
      const span = tracer.startSpan(
        request.method,
        { kind: api.SpanKind.SERVER, attributes: { "http.request.method": request.method } },
        parent,
      );
      const handle: RequestSpan = {
        end(route, status) {
          span.updateName(`${request.method} ${route}`);
          span.setAttributes({ "http.route": route, "http.response.status_code": status });
          if (status >= 500) span.setStatus({ code: api.SpanStatusCode.ERROR });
        },
      };
      return within(span, parent, () => fn(handle));
    },
    ids() {
      const span = api.trace.getSpan(contexts.active());
      if (!span) return undefined;
      const { traceId, spanId } = span.spanContext();
      return { trace_id: traceId, span_id: spanId };
    },
  };
}
