/**
 * `signet upload <file> [--resume]`: uploads one file to a running Signet through @signet/client, as any script
 * would. Reads SIGNET_URL (the server's origin) and SIGNET_TOKEN (a bearer token). Large files go in parts; the
 * record that resumes one is kept in SIGNET_STATE_DIR (default ~/.signet/uploads) until it completes, so after a
 * dropped connection or Ctrl-C, `--resume` sends only the parts the server does not have.
 */
import { openAsBlob } from "node:fs";
import { stat } from "node:fs/promises";
import { homedir } from "node:os";
import { basename, join, resolve } from "node:path";
import {
  createUploader,
  filesEndpoint,
  isAbortError,
  trpcFilesApi,
  type UploadProgress,
} from "@signet/client";
import { createTRPCClient, httpLink } from "@trpc/client";
import type { AppRouter } from "../trpc/root.ts";
import { fileResumeStore } from "./resume-files.ts";

export const UPLOAD_USAGE = "usage: signet upload <file> [--resume]   (SIGNET_URL, SIGNET_TOKEN)";

export interface UploadCommandOptions {
  env: Record<string, string | undefined>;
  out: (line: string) => void;
  /** Where the progress bar is drawn; a TTY gets a bar redrawn in place, anything else a line per 10 %. */
  progress?: { write(text: string): unknown; isTTY?: boolean | undefined };
  /** Stops the upload keeping what arrived (Ctrl-C). */
  pause?: AbortSignal;
  now?: () => number;
}

const units = ["B", "KB", "MB", "GB", "TB"];
function bytes(n: number): string {
  let value = n;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/** Draws progress: bytes, speed and time left, from the engine's reports. */
function progressBar(options: UploadCommandOptions, name: string) {
  const sink = options.progress ?? process.stderr;
  const now = options.now ?? (() => performance.now());
  let started = -1;
  let base = 0;
  let lastTenth = -1;
  return (p: UploadProgress) => {
    if (p.phase !== "uploading" && p.phase !== "verifying") return;
    const at = now();
    if (started < 0) {
      started = at;
      base = p.loaded;
    }
    const seconds = (at - started) / 1000;
    const speed = seconds > 0 ? (p.loaded - base) / seconds : 0;
    const left = speed > 0 ? Math.ceil((p.total - p.loaded) / speed) : null;
    const percent = p.total === 0 ? 100 : Math.floor((p.loaded / p.total) * 100);
    const facts = `${percent}% ${bytes(p.loaded)}/${bytes(p.total)}${speed > 0 ? ` ${bytes(speed)}/s` : ""}${left !== null ? ` ${left} s left` : ""}`;
    if (sink.isTTY) {
      const filled = Math.round(percent / 5);
      sink.write(`\r${name} [${"#".repeat(filled)}${".".repeat(20 - filled)}] ${facts}   `);
    } else if (Math.floor(percent / 10) > lastTenth) {
      lastTenth = Math.floor(percent / 10);
      sink.write(`${name} ${facts}\n`);
    }
  };
}

/** Runs the command; returns the exit code. */
export async function runUpload(args: string[], options: UploadCommandOptions): Promise<number> {
  const { out, env } = options;
  const resumeFlag = args.includes("--resume");
  const paths = args.filter((a) => a !== "--resume");
  if (paths.length !== 1 || paths[0]!.startsWith("-")) {
    out(UPLOAD_USAGE);
    return 2;
  }
  const url = env.SIGNET_URL;
  const token = env.SIGNET_TOKEN;
  if (!url || !token) {
    out(
      `signet upload: ${!url ? "SIGNET_URL" : "SIGNET_TOKEN"} is required (the server's origin and a bearer token)`,
    );
    return 2;
  }
  const path = resolve(paths[0]!);
  const info = await stat(path).catch(() => null);
  if (!info?.isFile()) {
    out(`signet upload: ${paths[0]}: no such file`);
    return 1;
  }
  const store = fileResumeStore(env.SIGNET_STATE_DIR ?? join(homedir(), ".signet", "uploads"));
  // The file's fingerprint here is its absolute path: what the user names again with --resume (the record's
  // own checks, first bytes included, then make sure it is the same file).
  const fingerprint = path;
  const resume = resumeFlag ? await store.get(fingerprint) : undefined;
  if (resumeFlag && !resume) out(`no interrupted upload of ${paths[0]}; starting a new one`);

  const trpc = createTRPCClient<AppRouter>({
    links: [
      httpLink({ url: `${url.replace(/\/$/, "")}/trpc`, headers: { authorization: `Bearer ${token}` } }),
    ],
  });
  const uploader = createUploader({
    endpoint: filesEndpoint(trpcFilesApi(trpc)),
  });
  const name = basename(path);
  // A Blob backed by the file: parts are read from disk as they are sent, never the whole file at once.
  const file = new File([await openAsBlob(path)], name, { lastModified: info.mtimeMs });
  const draw = progressBar(options, name);
  try {
    const done = await uploader.upload(file, {
      ...(resume ? { resume } : {}),
      ...(options.pause ? { pause: options.pause } : {}),
      onProgress: draw,
      journal: (record) => {
        void (record ? store.set(fingerprint, record) : store.delete(fingerprint)).catch(() => {});
      },
    });
    if (options.progress?.isTTY ?? process.stderr.isTTY) (options.progress ?? process.stderr).write("\n");
    await store.delete(fingerprint);
    out(`uploaded ${name}: ${done.id} (${done.size} bytes, ${done.status})`);
    return 0;
  } catch (error) {
    const kept = (await store.get(fingerprint).catch(() => undefined)) !== undefined;
    const hint = kept ? `; run \`signet upload ${paths[0]} --resume\` to send only the missing parts` : "";
    out(
      `signet upload: ${isAbortError(error) ? "stopped" : error instanceof Error ? error.message : String(error)}${hint}`,
    );
    return 1;
  }
}
