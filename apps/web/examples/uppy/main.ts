/**
 * The Uppy example page (/examples/uppy): Uppy's Dashboard and @uppy/aws-s3, with Signet as its Companion
 * endpoint. All Signet-specific configuration is here; the server side is Signet's /api/uppy routes.
 */
import AwsS3 from "@uppy/aws-s3";
import Uppy from "@uppy/core";
import Dashboard from "@uppy/dashboard";
import "@uppy/core/css/style.min.css";
import "@uppy/dashboard/css/style.min.css";
import "./page.css";

interface Limits {
  maxFileBytes: number;
  multipartPartSize: number;
}

async function getJson<T>(path: string): Promise<T | null> {
  const response = await fetch(path, { headers: { accept: "application/json" } });
  return response.ok ? ((await response.json()) as T) : null;
}

const who = document.getElementById("who")!;
const [limits, profile] = await Promise.all([
  getJson<Limits>("/api/limits"),
  getJson<{ name: string; email: string }>("/api/profile"),
]);

if (!limits) {
  who.textContent = "Signet's API did not answer; is it running?";
} else {
  if (profile) {
    who.textContent = `Signed in as ${profile.name} (${profile.email}). Uploads land in your Signet files.`;
  } else {
    who.innerHTML = 'Not signed in: <a href="/sign-in">sign in to Signet</a> first, then come back here.';
  }
  // Signet plans each file's parts; the page asks it (/api/uppy/part-size) before the upload starts, because
  // Uppy's getChunkSize cannot wait for an answer. Without one (signed out, say), the usual part size is tried
  // and the create route says what is wrong.
  const partSizes = new Map<number, number>();
  const partSize = (size: number) => partSizes.get(size) ?? limits.multipartPartSize;

  const uppy = new Uppy({ id: "signet" })
    .use(Dashboard, {
      inline: true,
      target: "#uppy",
      height: 420,
      proudlyDisplayPoweredByUppy: false,
    })
    .use(AwsS3, {
      companionEndpoint: "/api/uppy",
      // Signet takes Uppy's uploads in parts only (even one part), in the parts it planned: Uppy's single
      // upload is a POST form that R2 does not accept, and each part URL signs that part's exact length.
      shouldUseMultipart: true,
      getChunkSize: ({ size }) => partSize(size),
    });

  // Uppy sends no size to its endpoint: the file's meta carries it, with the part size it chunks with, so
  // Signet can sign exact lengths and refuse a plan it did not make (with a message Uppy shows).
  uppy.addPreProcessor(async (fileIds) => {
    for (const id of fileIds) {
      const size = uppy.getFile(id).size ?? 0;
      const answer = await getJson<{ partSize: number }>(`/api/uppy/part-size?size=${size}`);
      if (answer) partSizes.set(size, answer.partSize);
      uppy.setFileMeta(id, { size, partSize: partSize(size) });
    }
  });

  // Uppy keeps a refusal's words behind a "?" on the file; the page also lists each outcome in plain sight.
  const outcomes = document.getElementById("outcomes")!;
  const say = (text: string) => {
    const item = document.createElement("li");
    item.textContent = text;
    outcomes.append(item);
  };
  uppy.on("upload-success", (file) =>
    say(`${file?.name}: uploaded and verified, ready in your Signet files`),
  );
  uppy.on("upload-error", (file, error) =>
    say(`${file?.name}: refused: ${error.message.replace(/^Companion request failed: /, "")}`),
  );

  // For the browser test and the curious: the Uppy instance on the page.
  (window as unknown as { uppy: typeof uppy }).uppy = uppy;
}
