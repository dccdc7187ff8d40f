import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness, type TestUser } from "../testing/harness.ts";
import { decodeCursor, encodeCursor } from "./pagination.ts";

const crafted = (text: string) => btoa(text).replace(/=+$/, "");

describe("decodeCursor", () => {
  it("reads back what encodeCursor wrote, at both ends of the Date range", () => {
    for (const ms of [0, Date.UTC(2026, 11, 1), 8.64e15, -8.64e15]) {
      const position = { at: new Date(ms), id: "f-1" };
      expect(decodeCursor(encodeCursor(position))).toEqual(position);
    }
  });

  it.each([
    ["a time past the largest Date", crafted("8640000000000001:f-1")],
    ["a time before the smallest Date", crafted("-8640000000000001:f-1")],
    ["the largest safe integer", crafted(`${Number.MAX_SAFE_INTEGER}:f-1`)],
    ["an exponent", crafted("1e15:f-1")],
    ["a fraction", crafted("1.5:f-1")],
    ["no id", crafted("1000:")],
    ["no time", crafted(":f-1")],
    ["not base64", "%%%"],
  ])("refuses %s with BAD_REQUEST naming cursor", (_what, cursor) => {
    expect(() => decodeCursor(cursor)).toThrowError(
      expect.objectContaining({ code: "BAD_REQUEST", message: expect.stringMatching(/^cursor: /) }),
    );
  });
});

describe("files.list and audit.list with a crafted cursor", () => {
  let h: Harness;
  let u: TestUser;
  beforeAll(async () => {
    h = await createHarness();
    u = await h.signUp();
  });
  afterAll(async () => {
    await h?.[Symbol.asyncDispose]();
  });

  it.each(["files.list", "audit.list"])(
    "%s answers BAD_REQUEST naming cursor for a time out of range",
    async (path) => {
      for (const text of ["8640000000000001:x", "9007199254740991:x", "-9007199254740991:x"]) {
        const result = await h.trpc(path, { cursor: crafted(text) }, { token: u.token }, "query");
        expect(result).toMatchObject({ ok: false, status: 400, code: "BAD_REQUEST" });
        if (!result.ok) expect(result.message).toMatch(/^cursor: /);
      }
    },
  );

  it.each(["files.list", "audit.list"])("%s still pages with a real cursor", async (path) => {
    const first = await h.trpc(path, { limit: 1 }, { token: u.token }, "query");
    expect(first.ok).toBe(true);
    const cursor = encodeCursor({ at: new Date(8.64e15), id: "zzz" });
    const next = await h.trpc(path, { cursor, limit: 1 }, { token: u.token }, "query");
    expect(next.ok).toBe(true);
  });
});
