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
import { type PartRule, signetPartSize } from "./part-size.ts";

interface Limits extends PartRule {
  maxFileBytes: number;
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
  const partSize = (size: number) => signetPartSize(size, limits);

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
  uppy.on("file-added", (file) => {
    const size = file.size ?? 0;
    uppy.setFileMeta(file.id, { size, partSize: partSize(size) });
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
