import { abortError, TransportError } from "./errors.ts";
import { headersToSend, type PutRequest, type PutResponse } from "./transport.ts";

/**
 * The browser PUT: XMLHttpRequest because fetch still has no upload progress events. Sends exactly the
 * signed headers except those the browser manages itself.
 */
export function xhrPut(request: PutRequest): Promise<PutResponse> {
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
      resolve({ status: xhr.status, body: xhr.responseText, etag: xhr.getResponseHeader("etag") });
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
