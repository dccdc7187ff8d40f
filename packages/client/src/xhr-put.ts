import { abortError, TransportError } from "./errors.ts";
import { headersToSend, type PutRequest, type PutResponse, type PutTransport } from "./transport.ts";

/**
 * A response header only if CORS exposes it: `getResponseHeader` on a hidden one logs "Refused to get unsafe
 * header" in the console, `getAllResponseHeaders` lists only what may be read.
 */
function exposedHeader(xhr: XMLHttpRequest, name: string): string | null {
  for (const line of xhr.getAllResponseHeaders().split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === name) return line.slice(colon + 1).trim();
  }
  return null;
}

function sendWithXhr(request: PutRequest): Promise<PutResponse> {
  return new Promise((resolve, reject) => {
    if (request.signal?.aborted) {
      reject(abortError());
      return;
    }
    const xhr = new XMLHttpRequest();
    xhr.open(request.method, request.url);
    for (const [name, value] of Object.entries(headersToSend(request.headers))) {
      xhr.setRequestHeader(name, value);
    }
    const onAbort = () => xhr.abort();
    request.signal?.addEventListener("abort", onAbort, { once: true });
    const done = () => request.signal?.removeEventListener("abort", onAbort);
    xhr.upload.onprogress = (event) => {
      request.onProgress?.(event.loaded, event.lengthComputable ? event.total : request.body.size);
    };
    xhr.onload = () => {
      done();
      resolve({
        status: xhr.status,
        body: xhr.responseText,
        etag: xhr.getResponseHeader("etag"),
        retryAfter: exposedHeader(xhr, "retry-after"),
      });
    };
    // A CORS refusal and a dropped connection look identical to scripts: status 0, no body.
    xhr.onerror = () => {
      done();
      reject(new TransportError("network", "network error"));
    };
    xhr.ontimeout = () => {
      done();
      reject(new TransportError("timeout", "timed out"));
    };
    xhr.onabort = () => {
      done();
      reject(abortError());
    };
    xhr.send(request.body);
  });
}

/**
 * The browser PUT: XMLHttpRequest because fetch still has no upload progress events. Sends exactly the
 * signed headers except those the browser manages itself. Its progress follows the bytes, so stalls are watched.
 */
export const xhrPut: PutTransport = Object.assign(sendWithXhr, { progressEvents: true });
