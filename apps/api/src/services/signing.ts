import { SignerInputError } from "@signet/signer";
import { TRPCError } from "@trpc/server";

/**
 * Runs a presign call, turning the signer's input refusals into BAD_REQUEST. Every value the signer can refuse
 * here came from the caller (content type, filename in metadata, checksum), so the caller is the one to fix it.
 */
export async function presigning<T>(field: Record<string, string>, sign: () => Promise<T>): Promise<T> {
  try {
    return await sign();
  } catch (error) {
    if (error instanceof SignerInputError) {
      const name =
        Object.entries(field).find(([prefix]) => error.field.startsWith(prefix))?.[1] ?? error.field;
      throw new TRPCError({ code: "BAD_REQUEST", message: `${name}: ${error.rule}`, cause: error });
    }
    throw error;
  }
}
