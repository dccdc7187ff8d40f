/**
 * How an upload in parts begins: announced now (its first part hashed meanwhile, for the resume record), or read
 * back from the server for a resume after checking that the file is the one the record was made for.
 */
import type { MultipartEndpoint, MultipartPlan } from "../../endpoints.ts";
import { ResumeMismatch } from "../../errors.ts";
import { lastModifiedOf, type ResumeRecord } from "../../resume-store.ts";
import type { UploadSession } from "../../session.ts";
import { PartChecksums } from "./part-checksums.ts";

/** The plan to carry out, the parts the server already holds, and the record that resumes it. */
export interface Started {
  plan: MultipartPlan;
  checksums: PartChecksums;
  arrived: Set<number>;
  record: ResumeRecord;
}

/** Continues the upload of `resume`: only if the file has its size, name, date and first bytes. */
export async function resumeUpload(
  session: UploadSession<unknown>,
  endpoint: MultipartEndpoint,
  resume: ResumeRecord,
  signal: AbortSignal,
): Promise<Started> {
  const { file } = session;
  const lastModified = lastModifiedOf(file);
  if (resume.size !== file.size)
    throw new ResumeMismatch(`its size is ${file.size} bytes, not ${resume.size}`);
  if (resume.name !== session.facts.name) throw new ResumeMismatch(`its name is not ${resume.name}`);
  if (resume.lastModified !== null && lastModified !== null && resume.lastModified !== lastModified) {
    throw new ResumeMismatch("it was modified since");
  }
  const listed = await endpoint.listParts(resume.id);
  const plan: MultipartPlan = {
    plan: "multipart",
    id: resume.id,
    partSize: listed.partSize,
    partCount: listed.partCount,
  };
  const checksums = new PartChecksums(file, plan.partSize, session.tools.partHash, signal);
  const first = await checksums.of(1);
  const serverFirst = listed.parts.find((p) => p.partNumber === 1)?.checksumSha256;
  if (first !== resume.firstPartChecksum || (serverFirst && serverFirst !== first)) {
    throw new ResumeMismatch("its first bytes differ");
  }
  session.hold(plan);
  const arrived = new Set(listed.parts.map((p) => p.partNumber));
  const record = { ...resume, partSize: plan.partSize, partCount: plan.partCount, partsDone: [...arrived] };
  return { plan, checksums, arrived, record };
}

/** Announces the file; the resume record needs part 1's checksum before any part goes. */
export async function announceUpload(
  session: UploadSession<unknown>,
  endpoint: MultipartEndpoint,
  signal: AbortSignal,
): Promise<Started> {
  const { file } = session;
  // Hash the first part while the upload is announced, at the part size the server usually plans (kept only if
  // the plan agrees).
  const usual = await endpoint.usualPartSize?.().catch(() => undefined);
  const early =
    usual !== undefined && usual < file.size
      ? session.tools.partHash(file.slice(0, usual), () => {}, signal)
      : null;
  early?.catch(() => {});
  const announced = await session.announce();
  if (announced.plan !== "multipart")
    throw new Error("the server answered a single PUT for a multipart upload");
  const plan = announced;
  const checksums = new PartChecksums(file, plan.partSize, session.tools.partHash, signal);
  if (early && plan.partSize === usual) checksums.adopt(1, early);
  const record: ResumeRecord = {
    id: plan.id,
    name: session.facts.name,
    size: file.size,
    lastModified: lastModifiedOf(file),
    partSize: plan.partSize,
    partCount: plan.partCount,
    firstPartChecksum: await checksums.of(1),
    partsDone: [],
  };
  return { plan, checksums, arrived: new Set(), record };
}
