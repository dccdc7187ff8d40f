import { describe, expect, it } from "vitest";
import { headersToSend } from "./transport.ts";

describe("headersToSend", () => {
  it("drops only the headers browsers set themselves", () => {
    expect(
      headersToSend({
        "content-type": "image/png",
        "Content-Length": "42",
        "x-amz-checksum-sha256": "abc=",
        "if-none-match": "*",
        "x-amz-meta-owner": "u1",
      }),
    ).toEqual({
      "content-type": "image/png",
      "x-amz-checksum-sha256": "abc=",
      "if-none-match": "*",
      "x-amz-meta-owner": "u1",
    });
  });
});
