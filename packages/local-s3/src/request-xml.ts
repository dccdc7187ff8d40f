// XML request documents (PutBucketCors, CreateBucket, CompleteMultipartUpload, DeleteObjects), parsed with S3's
// answer for a body that is not the document the operation takes.
import { S3Error } from "./errors.ts";
import { parseXml, type XmlElement } from "./xml.ts";

/** MalformedXML with S3's wording, plus what was wrong. */
export function malformedXml(detail: string): S3Error {
  return new S3Error(
    "MalformedXML",
    `The XML you provided was not well-formed or did not validate against our published schema: ${detail}`,
  );
}

/** Parses a request document whose root element must be `root` (namespace prefix ignored), or throws MalformedXML. */
export function parseRequestXml(xml: string, root: string): XmlElement {
  let element: XmlElement;
  try {
    element = parseXml(xml);
  } catch (error) {
    throw malformedXml(error instanceof Error ? error.message : "unparseable");
  }
  if (element.name.replace(/^.*:/, "") !== root) throw malformedXml(`the root element must be ${root}`);
  return element;
}
