import { describe, expect, it } from "vitest";
import { authErrorMessage, placeAuthError, validateSignIn, validateSignUp } from "./forms.ts";

describe("auth form validation", () => {
  it("names each invalid sign-up field", () => {
    expect(validateSignUp({ name: " ", email: "nope", password: "short" })).toEqual({
      name: "Name is required.",
      email: "Enter an email address like name@example.com.",
      password: "Password must be at least 8 characters.",
    });
    expect(validateSignUp({ name: "Ada", email: "ada@example.com", password: "correct horse" })).toEqual({});
  });

  it("requires both sign-in fields", () => {
    expect(validateSignIn({ email: "", password: "" })).toEqual({
      email: "Email is required.",
      password: "Password is required.",
    });
  });

  it("places server errors next to the field they are about", () => {
    expect(placeAuthError({ code: "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL", status: 422 }).field).toBe(
      "email",
    );
    expect(placeAuthError({ code: "PASSWORD_TOO_SHORT" }).field).toBe("password");
    expect(placeAuthError({ code: "INVALID_EMAIL_OR_PASSWORD", status: 401 })).toEqual({
      field: null,
      message: "That email and password do not match an account.",
    });
    expect(placeAuthError({ status: 429 }).message).toMatch(/Too many attempts/);
    expect(placeAuthError(null).message).toMatch(/Could not reach/);
  });

  it("words an auth error the form's own way where it asks to, else as placeAuthError does", () => {
    const wording = { INVALID_TOKEN: "This link has expired." };
    expect(authErrorMessage({ code: "INVALID_TOKEN", status: 400 }, wording)).toBe("This link has expired.");
    expect(authErrorMessage({ code: "INVALID_EMAIL_OR_PASSWORD" }, wording)).toBe(
      placeAuthError({ code: "INVALID_EMAIL_OR_PASSWORD" }).message,
    );
    expect(authErrorMessage(null)).toMatch(/Could not reach/);
  });
});
