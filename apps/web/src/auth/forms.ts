/** Field-level validation for the sign-in and sign-up forms, and mapping of Better Auth's error codes. */

export const MIN_PASSWORD_LENGTH = 8; // Better Auth's default minPasswordLength
export const MAX_PASSWORD_LENGTH = 128; // Better Auth's default maxPasswordLength

export interface SignUpFields {
  name: string;
  email: string;
  password: string;
}

export interface SignInFields {
  email: string;
  password: string;
}

export type FieldErrors<K extends string> = Partial<Record<K, string>>;

// Deliberately loose: one "@" with text either side and a dot in the domain. The server is the authority.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Whether `email` (surrounding white space aside) looks like an email address. */
export function isEmailAddress(email: string): boolean {
  return EMAIL.test(email.trim());
}

function emailError(email: string): string | undefined {
  if (!email.trim()) return "Email is required.";
  if (!isEmailAddress(email)) return "Enter an email address like name@example.com.";
  return undefined;
}

/** Errors per field for the sign-up form; empty object when valid. */
export function validateSignUp(fields: SignUpFields): FieldErrors<keyof SignUpFields> {
  const errors: FieldErrors<keyof SignUpFields> = {};
  if (!fields.name.trim()) errors.name = "Name is required.";
  else if (fields.name.trim().length > 100) errors.name = "Name must be at most 100 characters.";
  const email = emailError(fields.email);
  if (email) errors.email = email;
  if (!fields.password) errors.password = "Password is required.";
  else if (fields.password.length < MIN_PASSWORD_LENGTH) {
    errors.password = `Password must be at least ${MIN_PASSWORD_LENGTH} characters.`;
  } else if (fields.password.length > MAX_PASSWORD_LENGTH) {
    errors.password = `Password must be at most ${MAX_PASSWORD_LENGTH} characters.`;
  }
  return errors;
}

/** Errors per field for the sign-in form; empty object when valid. */
export function validateSignIn(fields: SignInFields): FieldErrors<keyof SignInFields> {
  const errors: FieldErrors<keyof SignInFields> = {};
  const email = emailError(fields.email);
  if (email) errors.email = email;
  if (!fields.password) errors.password = "Password is required.";
  return errors;
}

/** Where to show a Better Auth error: next to a field when it is about one, else above the form. */
export function placeAuthError(
  error: { code?: string; message?: string; status?: number } | null | undefined,
): {
  field: "name" | "email" | "password" | null;
  message: string;
} {
  const code = error?.code ?? "";
  switch (code) {
    case "USER_ALREADY_EXISTS":
    case "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL":
      return { field: "email", message: "An account with this email already exists. Sign in instead." };
    case "INVALID_EMAIL":
      return { field: "email", message: "Enter a valid email address." };
    case "PASSWORD_TOO_SHORT":
      return { field: "password", message: `Password must be at least ${MIN_PASSWORD_LENGTH} characters.` };
    case "PASSWORD_TOO_LONG":
      return { field: "password", message: `Password must be at most ${MAX_PASSWORD_LENGTH} characters.` };
    case "INVALID_EMAIL_OR_PASSWORD":
      return { field: null, message: "That email and password do not match an account." };
  }
  if (error?.status === 429)
    return { field: null, message: "Too many attempts. Wait a minute and try again." };
  return { field: null, message: error?.message || "Could not reach the server. Try again." };
}

/** The message for a Better Auth error, where a form may word some codes its own way (e.g. a used reset link). */
export function authErrorMessage(
  error: { code?: string; message?: string; status?: number } | null | undefined,
  wording: Partial<Record<string, string>> = {},
): string {
  return (error?.code && wording[error.code]) || placeAuthError(error).message;
}
