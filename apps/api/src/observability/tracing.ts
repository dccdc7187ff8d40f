/**
 * OpenTelemetry traces behind one small seam. Off (no OTEL_EXPORTER_OTLP_ENDPOINT), every call runs its function
 * and nothing else: the SDK is never even imported. On, the SDK is loaded on first use (dynamic import) and spans
 * go out over OTLP/HTTP, which works wherever fetch does (Node, Bun, Deno, Workers).
 *
 * A sampled request's span travels as a `TraceScope` (ground.ts) that the HTTP layer hands to the request's
 * database, storage and logger (`Observability.traced`), never through an AsyncLocalStorage: on Node 20 a store,
 * once entered, is copied into every promise any request creates afterwards, sampled or not, which alone cost
 * more than the whole overhead budget (BENCHMARKS.md, "Observability overhead"). An unsampled request costs a
 * sampler decision.
 */
import type { Context, Span, TextMapGetter, Tracer } from "@opentelemetry/api";
import type { OtelConfig, TraceSampler } from "../env.ts";
import type { SpanAttributes, TraceScope } from "../ground.ts";

/** The request's server span, for the HTTP middleware to name and finish once it knows the route and status. */
export interface RequestSpan {
  /** The request's scope, when it is sampled. */
  readonly scope: TraceScope | undefined;
  /** Names the span `<method> <route>` and records the status. */
  end(route: string, status: number): void;
}

export interface Tracing {
  readonly enabled: boolean;
  /** Runs `fn` in a span that starts its own trace (background work: a sweeper pass), given its scope if sampled. */
  root<T>(name: string, fn: (scope: TraceScope | undefined) => Promise<T>): Promise<T>;
  /** Runs `fn` in a server span for the request, a child of the caller's W3C `traceparent` when it sent one. */
  request<T>(request: Request, fn: (span: RequestSpan) => Promise<T>): Promise<T>;
  /** Sends the spans waiting in the batch. */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

const noSpan: RequestSpan = { scope: undefined, end() {} };

export const noTracing: Tracing = {
  enabled: false,
  root: (_name, fn) => fn(undefined),
  request: (_request, fn) => fn(noSpan),
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
  // The first request waits for the SDK; every later one finds it loaded.
  return {
    enabled: true,
    root: (name, fn) => (sdk ? sdk.root(name, fn) : loading.then((loaded) => loaded.root(name, fn))),
    request: (request, fn) =>
      sdk ? sdk.request(request, fn) : loading.then((loaded) => loaded.request(request, fn)),
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
  const [api, core, base, exporter, resources] = await Promise.all([
    import("@opentelemetry/api").then(exportsOf),
    import("@opentelemetry/core").then(exportsOf),
    import("@opentelemetry/sdk-trace-base").then(exportsOf),
    import("@opentelemetry/exporter-trace-otlp-http").then(exportsOf),
    import("@opentelemetry/resources").then(exportsOf),
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
  // This Signet's own tracer, not the process-global one: an embedder's OTel setup stays theirs.
  const tracer: Tracer = provider.getTracer("signet");
  const propagator = new core.W3CTraceContextPropagator();
  // One getter for every request (the propagator reads `traceparent` and `tracestate` through it).
  const headerGetter: TextMapGetter<Headers> = {
    get: (headers, key) => headers.get(key) ?? undefined,
    keys: (headers) => [...headers.keys()],
  };

  /** Ends `span` when `work` settles, marking it failed if `work` throws. */
  async function ending<T>(span: Span, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: api.SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  }

  /**
   * The scope of a recording span. A class, not closures: a traced request makes one per span, and what each
   * span allocates is most of tracing's cost (its OTel context is made only when it gets a child).
   */
  class Scope implements TraceScope {
    private context: Context | undefined;
    constructor(
      private readonly own: Span,
      private readonly parent: Context,
    ) {}

    get ids() {
      const { traceId, spanId } = this.own.spanContext();
      return { trace_id: traceId, span_id: spanId };
    }

    private asParent(): Context {
      this.context ??= api.trace.setSpan(this.parent, this.own);
      return this.context;
    }

    span<T>(name: string, fn: (scope: TraceScope) => Promise<T>, attributes?: SpanAttributes): Promise<T> {
      const context = this.asParent();
      const child = tracer.startSpan(name, attributes ? { attributes } : undefined, context);
      return ending(child, () => fn(new Scope(child, context)));
    }

    record(name: string, started: number, ended: number, attributes?: SpanAttributes): void {
      tracer.startSpan(name, { startTime: started, attributes }, this.asParent()).end(ended);
    }
  }

  return {
    provider,
    root<T>(name: string, fn: (scope: TraceScope | undefined) => Promise<T>): Promise<T> {
      const span = tracer.startSpan(name, {}, api.ROOT_CONTEXT);
      if (!span.isRecording()) return fn(undefined);
      return ending(span, () => fn(new Scope(span, api.ROOT_CONTEXT)));
    },
    request<T>(request: Request, fn: (span: RequestSpan) => Promise<T>): Promise<T> {
      const parent = propagator.extract(api.ROOT_CONTEXT, request.headers, headerGetter);
      const span = tracer.startSpan(
        request.method,
        { kind: api.SpanKind.SERVER, attributes: { "http.request.method": request.method } },
        parent,
      );
      // Dropped by the sampler: the request runs untraced, and so does everything it does.
      if (!span.isRecording()) return fn({ scope: undefined, end() {} });
      const handle: RequestSpan = {
        scope: new Scope(span, parent),
        end(route, status) {
          span.updateName(`${request.method} ${route}`);
          span.setAttributes({ "http.route": route, "http.response.status_code": status });
          if (status >= 500) span.setStatus({ code: api.SpanStatusCode.ERROR });
        },
      };
      return ending(span, () => fn(handle));
    },
  };
}
