/**
 * The generated OpenAPI document against the one Signet answered before REST was generated from the router
 * (openapi.snapshot.json): every path, method and schema it had is still there, equal or with additions only;
 * and every procedure has its route, every route its procedure.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness } from "../testing/harness.ts";
import { appRouter } from "../trpc/root.ts";
import snapshot from "./openapi.snapshot.json" with { type: "json" };
import { OPENAPI_PATH, restRouteTable } from "./rest-routes.ts";

type Json = unknown;

/**
 * Where `after` takes something away from `before`, as a list of JSON paths (empty when `after` has everything
 * `before` has). Objects may gain keys; arrays keep their items (parameters matched by name and place).
 */
function removals(before: Json, after: Json, at = "$"): string[] {
  if (Array.isArray(before)) {
    if (!Array.isArray(after)) return [at];
    const key = (item: Json) => {
      const p = item as { name?: string; in?: string };
      return p && typeof p === "object" && p.name && p.in ? `${p.in}:${p.name}` : undefined;
    };
    return before.flatMap((item, i) => {
      const k = key(item);
      const match = k ? after.find((other) => key(other) === k) : after[i];
      if (match === undefined) return [`${at}[${k ?? i}]`];
      return removals(item, match, `${at}[${k ?? i}]`);
    });
  }
  if (before && typeof before === "object") {
    if (!after || typeof after !== "object" || Array.isArray(after)) return [at];
    return Object.entries(before).flatMap(([k, v]) =>
      removals(v, (after as Record<string, Json>)[k], `${at}.${k}`),
    );
  }
  return Object.is(before, after) ? [] : [`${at}: ${JSON.stringify(before)} → ${JSON.stringify(after)}`];
}

/**
 * Where the hand-written document was wrong and the generated one says what the procedure always did: a call of
 * GET /api/account/export without `expiresIn` has always answered 400 (account.export requires it).
 */
const CORRECTIONS = [
  "$.paths./api/account/export.get.parameters[query:expiresIn].required: false → true",
  // health reports readiness now (issue #26): `ok` is false while the database or the bucket does not answer.
  "$.components.schemas.Health.properties.ok.enum",
];

let h: Harness;
let doc: { paths: Record<string, Record<string, Json>>; components: Record<string, Json> };

beforeAll(async () => {
  h = await createHarness();
  doc = (await (await h.app.request(OPENAPI_PATH)).json()) as typeof doc;
});
afterAll(async () => {
  await h?.[Symbol.asyncDispose]();
});

describe("the generated OpenAPI document", () => {
  it("keeps every path, method and schema of the snapshot (additions only)", () => {
    const gone = removals(
      { paths: snapshot.paths, components: snapshot.components },
      { paths: doc.paths, components: doc.components },
    );
    expect(gone).toEqual(CORRECTIONS);
  });

  it("the comparison sees a removed key, a changed value and a missing parameter", () => {
    expect(removals({ a: { b: 1 } }, { a: {} })).toEqual(["$.a.b: 1 → undefined"]);
    expect(removals({ a: "x" }, { a: "y", b: 1 })).toEqual(['$.a: "x" → "y"']);
    expect(removals([{ name: "id", in: "path" }], [{ name: "id", in: "query" }])).toEqual(["$[path:id]"]);
    expect(removals({ a: 1 }, { a: 1, b: 2 })).toEqual([]);
  });
});

describe("procedures and routes", () => {
  const table = restRouteTable();
  const procedures = Object.keys(appRouter._def.procedures);

  it("every procedure has a REST route, and every route calls a procedure", () => {
    const routed = new Set(table.map((r) => r.procedure));
    expect(procedures.filter((p) => !routed.has(p))).toEqual([]);
    expect(table.map((r) => r.procedure).filter((p) => !procedures.includes(p))).toEqual([]);
  });

  it("every route is in the document, named after its procedure", () => {
    for (const { route, procedure } of table) {
      const path = route.path.replace(/:(\w+)/g, "{$1}");
      const operation = doc.paths[path]?.[route.method] as { description?: string } | undefined;
      expect(operation?.description, `${route.method} ${path}`).toBe(
        `Same as the tRPC procedure \`${procedure}\`.`,
      );
    }
  });
});
