/** audit.list: the signed-in user's own audit trail. */
import { z } from "@hono/zod-openapi";
import { iso, pageInput } from "./common.ts";
import { contract } from "./define.ts";

export const auditPage = z
  .object({
    items: z.array(
      z.object({
        id: z.string(),
        at: iso,
        action: z.string(),
        objectKey: z.string(),
        fileId: z.string().nullable(),
        detail: z.record(z.string(), z.unknown()),
      }),
    ),
    nextCursor: z.string().nullable(),
  })
  .openapi("AuditPage");
export type AuditPage = z.output<typeof auditPage>;

export const auditContract = {
  list: contract({
    kind: "query",
    access: "read",
    input: pageInput,
    output: auditPage,
    rest: { method: "get", path: "/api/audit", summary: "Your audit trail, newest first", tag: "audit" },
  }),
};
