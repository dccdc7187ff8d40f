import { TRPCError } from "@trpc/server";

/** An opaque keyset cursor: the sort position (time, id) of the last item returned. */
export interface CursorPosition {
  at: Date;
  id: string;
}

/** The cursor that continues after `position`. */
export function encodeCursor(position: CursorPosition): string {
  return btoa(`${position.at.getTime()}:${position.id}`).replace(/=+$/, "");
}

/** Reads a cursor from `encodeCursor`; BAD_REQUEST naming `cursor` for anything else. */
export function decodeCursor(cursor: string): CursorPosition {
  let text: string;
  try {
    text = atob(cursor);
  } catch {
    throw new TRPCError({ code: "BAD_REQUEST", message: "cursor: not a cursor returned by this API" });
  }
  const sep = text.indexOf(":");
  const ms = Number(text.slice(0, sep));
  const id = text.slice(sep + 1);
  if (sep < 1 || !Number.isSafeInteger(ms) || id.length === 0) {
    throw new TRPCError({ code: "BAD_REQUEST", message: "cursor: not a cursor returned by this API" });
  }
  return { at: new Date(ms), id };
}
