/** Checks for the account forms (new password, typed confirmation) and session descriptions. */
import Bowser from "bowser";
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from "../auth/forms.ts";

/** What the person types to confirm deleting their account. */
export const DELETE_CONFIRMATION = "delete my account";

/** Why `password` cannot be a new password, or null. */
export function newPasswordError(password: string, repeated: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH)
    return `Password must be at least ${MIN_PASSWORD_LENGTH} characters.`;
  if (password.length > MAX_PASSWORD_LENGTH)
    return `Password must be at most ${MAX_PASSWORD_LENGTH} characters.`;
  if (password !== repeated) return "The two passwords differ.";
  return null;
}

/** "Chrome 120 on Linux" from a user agent; "Unknown device" when there is none. */
export function describeDevice(userAgent: string | null | undefined): string {
  if (!userAgent) return "Unknown device";
  const parsed = Bowser.parse(userAgent);
  const browser = [parsed.browser.name, parsed.browser.version?.split(".")[0]].filter(Boolean).join(" ");
  const os = parsed.os.name ?? "";
  if (!browser) return userAgent.slice(0, 60);
  return os ? `${browser} on ${os}` : browser;
}
