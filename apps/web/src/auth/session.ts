import { createAuthClient } from "better-auth/vue";

/** Better Auth's client, talking to /api/auth on the origin that served the SPA. */
export const authClient = createAuthClient({ baseURL: window.location.origin });

export interface SessionUser {
  id: string;
  name: string;
  email: string;
}

let known: Promise<SessionUser | null> | null = null;

/** The signed-in user, fetched once per page load and after every sign-in or sign-out. */
export function currentUser(): Promise<SessionUser | null> {
  known ??= authClient
    .getSession()
    .then((result) => (result.data?.user ? result.data.user : null))
    .catch(() => null);
  return known;
}

/** Drops the cached session so the next navigation asks the server again. */
export function forgetSession(): void {
  known = null;
}
