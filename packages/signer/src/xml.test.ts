import { describe, expect, it } from "vitest";
import { S3Error } from "./errors.ts";
import { decodeXml, escapeXml, parseS3Error, s3ErrorFrom, xmlTexts } from "./xml.ts";

// Error bodies as printed in the Amazon S3 API reference ("Error responses" and the
// CompleteMultipartUpload page's example of an error returned with 200 OK).
const NO_SUCH_KEY = `<?xml version="1.0" encoding="UTF-8"?>
<Error>
  <Code>NoSuchKey</Code>
  <Message>The resource you requested does not exist</Message>
  <Resource>/mybucket/myfoto.jpg</Resource>
  <RequestId>4442587FB7D0A2F9</RequestId>
</Error>`;
const COMPLETE_INTERNAL_ERROR = `<?xml version="1.0" encoding="UTF-8"?>
<Error>
<Code>InternalError</Code>
<Message>We encountered an internal error. Please try again.</Message>
<RequestId>656c76696e6727732072657175657374</RequestId>
<HostId>Uuag1LuByRx9e6j5Onimru9pO4ZVKnJ2Qz7/C1NPcfTWAtRPfTaOFg==</HostId>
</Error>`;

describe("S3 error bodies", () => {
  it("reads code, message and request id from a documented error", () => {
    const error = parseS3Error(NO_SUCH_KEY, 404);
    expect(error).toBeInstanceOf(S3Error);
    expect(error).toMatchObject({
      name: "S3Error",
      code: "NoSuchKey",
      status: 404,
      message: "The resource you requested does not exist",
      requestId: "4442587FB7D0A2F9",
    });
  });

  it("finds the error in a 200 response body", () => {
    expect(parseS3Error(COMPLETE_INTERNAL_ERROR, 200)).toMatchObject({
      code: "InternalError",
      status: 200,
      requestId: "656c76696e6727732072657175657374",
    });
  });

  it("says there is no error for a success body", () => {
    const ok = `<CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><ETag>"3858f62230ac3c915f300c664312c11f-9"</ETag></CompleteMultipartUploadResult>`;
    expect(parseS3Error(ok, 200)).toBeUndefined();
  });

  it("names bodiless errors after their status and keeps the request id header", () => {
    expect(s3ErrorFrom("", 412, "REQ1")).toMatchObject({
      code: "PreconditionFailed",
      status: 412,
      requestId: "REQ1",
    });
    expect(s3ErrorFrom("", 404)).toMatchObject({ code: "NotFound", status: 404, requestId: undefined });
    expect(s3ErrorFrom("<html>bad gateway</html>", 502)).toMatchObject({ code: "Http502", status: 502 });
  });
});

describe("XML text", () => {
  it("decodes predefined entities and character references", () => {
    expect(decodeXml("&quot;a&amp;b&lt;c&gt;&apos; &#233;&#x1F389;")).toBe(`"a&b<c>' é🎉`);
  });

  it("round-trips escaped text", () => {
    const text = `<&>"' key`;
    expect(decodeXml(escapeXml(text))).toBe(text);
    expect(escapeXml(text)).not.toMatch(/[<>"']/);
  });

  it("reads repeated elements, with attributes and self-closing forms", () => {
    expect(xmlTexts(`<R><A>1</A><A x="y">2</A><A/><AB>no</AB></R>`, "A")).toEqual(["1", "2", ""]);
  });
});
