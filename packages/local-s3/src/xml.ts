// S3 speaks a small, regular XML dialect: no attributes we care about, no mixed content. A tiny builder and
// parser cover it without pulling an XML library into every runtime.

/** Escapes text for an XML element; control characters become character references so no key breaks a document. */
export function escapeXml(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point here
  return text.replace(/[&<>"'\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, (ch) => {
    switch (ch) {
      case "&":
        return "&amp;";
      case "<":
        return "&lt;";
      case ">":
        return "&gt;";
      case '"':
        return "&quot;";
      case "'":
        return "&apos;";
      default:
        return `&#x${ch.charCodeAt(0).toString(16)};`;
    }
  });
}

/** A value for {@link xmlDocument}: text, a nested element list, or absent (omitted). */
export type XmlValue = string | number | boolean | XmlNode[] | undefined;
export type XmlNode = [name: string, value: XmlValue];

function render(nodes: XmlNode[]): string {
  let out = "";
  for (const [name, value] of nodes) {
    if (value === undefined) continue;
    out += `<${name}>${Array.isArray(value) ? render(value) : escapeXml(String(value))}</${name}>`;
  }
  return out;
}

/** Renders an S3 response document with the S3 namespace on the root element. */
export function xmlDocument(root: string, children: XmlNode[], namespace = true): string {
  const ns = namespace ? ' xmlns="http://s3.amazonaws.com/doc/2006-03-01/"' : "";
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root}${ns}>${render(children)}</${root}>`;
}

/** A parsed element: its name, its child elements and its text content. */
export interface XmlElement {
  name: string;
  children: XmlElement[];
  text: string;
}

export class XmlParseError extends Error {}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, ref: string) => {
    if (ref.startsWith("#x")) return String.fromCodePoint(Number.parseInt(ref.slice(2), 16));
    if (ref.startsWith("#")) return String.fromCodePoint(Number.parseInt(ref.slice(1), 10));
    const named = ENTITIES[ref];
    if (named === undefined) throw new XmlParseError(`unknown entity ${whole}`);
    return named;
  });
}

// Sticky regexes match in place, so a large CompleteMultipartUpload body is parsed in linear time.
const OPEN_TAG = /<([A-Za-z_][\w.:-]*)((?:\s+[\w.:-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/y;
const CLOSE_TAG = /<\/([A-Za-z_][\w.:-]*)\s*>/y;

/** Parses a small XML document (declaration, comments, elements, text); throws XmlParseError when malformed. */
export function parseXml(source: string): XmlElement {
  let pos = 0;
  const skipMisc = () => {
    for (;;) {
      while (pos < source.length && /\s/.test(source[pos] ?? "")) pos++;
      if (source.startsWith("<?", pos)) {
        const end = source.indexOf("?>", pos);
        if (end < 0) throw new XmlParseError("unterminated declaration");
        pos = end + 2;
      } else if (source.startsWith("<!--", pos)) {
        const end = source.indexOf("-->", pos);
        if (end < 0) throw new XmlParseError("unterminated comment");
        pos = end + 3;
      } else return;
    }
  };
  const parseElement = (): XmlElement => {
    OPEN_TAG.lastIndex = pos;
    const open = OPEN_TAG.exec(source);
    if (!open) throw new XmlParseError(`expected an element at offset ${pos}`);
    pos += open[0].length;
    const name = open[1] ?? "";
    const element: XmlElement = { name, children: [], text: "" };
    if (open[3] === "/") return element;
    for (;;) {
      const lt = source.indexOf("<", pos);
      if (lt < 0) throw new XmlParseError(`unterminated element ${name}`);
      element.text += decodeEntities(source.slice(pos, lt));
      pos = lt;
      if (source.startsWith("</", pos)) {
        CLOSE_TAG.lastIndex = pos;
        const close = CLOSE_TAG.exec(source);
        if (!close || close[1] !== name) throw new XmlParseError(`mismatched closing tag for ${name}`);
        pos += close[0].length;
        return element;
      }
      if (source.startsWith("<!--", pos)) {
        const end = source.indexOf("-->", pos);
        if (end < 0) throw new XmlParseError("unterminated comment");
        pos = end + 3;
        continue;
      }
      if (source.startsWith("<![CDATA[", pos)) {
        const end = source.indexOf("]]>", pos);
        if (end < 0) throw new XmlParseError("unterminated CDATA");
        element.text += source.slice(pos + 9, end);
        pos = end + 3;
        continue;
      }
      element.children.push(parseElement());
    }
  };
  skipMisc();
  const root = parseElement();
  skipMisc();
  if (pos !== source.length) throw new XmlParseError("content after the root element");
  return root;
}

/** Child elements of `element` named `name` (namespace prefixes ignored). */
export function childrenNamed(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((child) => child.name.replace(/^.*:/, "") === name);
}
