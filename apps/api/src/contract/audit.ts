/** audit.list: the signed-in user's own audit trail. */
import { z } from "@hono/zod-openapi";
import { iso, pageInput, pageOf } from "./common.ts";
import { contracts } from "./define.ts";

/** The shapes this domain answers, as the services build them. */
export type AuditPage = z.output<typeof auditPage>;

export const auditPage = pageOf(
  z.object({
    id: z.string(),
    at: iso,
    action: z.string(),
    objectKey: z.string(),
    fileId: z.string().nullable(),
    detail: z.record(z.string(), z.unknown()),
  }),
  "AuditPage",
);

export const auditContract = contracts("audit", {
  list: {
    kind: "query",
    access: "read",
    input: pageInput,
    output: auditPage,
    rest: { method: "get", path: "/api/audit", summary: "Your audit trail, newest first" },
  },
});
