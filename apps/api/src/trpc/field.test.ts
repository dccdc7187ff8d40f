/** A field path has one spelling in every error: tRPC's message and `data.field` say what REST's `field` says. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness, type TestUser } from "../testing/harness.ts";
import { respellField } from "./field.ts";

let h: Harness;
let u: TestUser;

beforeAll(async () => {
  h = await createHarness();
  u = await h.signUp();
});
afterAll(async () => {
  await h?.[Symbol.asyncDispose]();
});

/** A tRPC call over HTTP, answering the error's message and data. */
async function trpcError(path: string, input: unknown) {
  const res = await h.app.request(`/trpc/${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${u.token}`, "content-type": "application/json" },
    body: JSON.stringify(input),
  });
  const body = (await res.json()) as { error: { message: string; data: { code: string; field?: string } } };
  return body.error;
}

describe("field paths", () => {
  it("respells a bracketed index in the message's leading field only", () => {
    expect(respellField("parts[0].partNumber: too big")).toBe("parts.0.partNumber: too big");
    expect(respellField("a[1].b[2].c: x [3]")).toBe("a.1.b.2.c: x [3]");
    expect(respellField("No such file [0]")).toBe("No such file [0]");
  });

  it("names the field in data.field for a validation error and a service's refusal alike", async () => {
    const upload = (await h.caller(u).files.createUpload({
      filename: "big.bin",
      contentType: "application/octet-stream",
      size: 100 * 1024 * 1024,
    })) as { fileId: string; partCount: number };
    const checksumSha256 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
    const sign = (partNumber: number) =>
      trpcError("files.signParts", { fileId: upload.fileId, parts: [{ partNumber, checksumSha256 }] });

    const zero = await sign(0);
    expect(zero.data).toMatchObject({ code: "BAD_REQUEST", field: "parts.0.partNumber" });
    expect(zero.message).toMatch(/^parts\.0\.partNumber: /);
    const beyond = await sign(upload.partCount + 1);
    expect(beyond.data).toMatchObject({ code: "BAD_REQUEST", field: "parts.0.partNumber" });
    expect(beyond.message).toMatch(/^parts\.0\.partNumber: this upload has parts 1\.\./);

    const notFound = await trpcError("files.completeUpload", { fileId: crypto.randomUUID() });
    expect(notFound.data.code).toBe("NOT_FOUND");
    expect(notFound.data.field).toBeUndefined();
  });
});
