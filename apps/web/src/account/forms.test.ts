import { describe, expect, it } from "vitest";
import { describeDevice, newPasswordError } from "./forms.ts";

describe("account forms", () => {
  it("checks a new password and its repetition", () => {
    expect(newPasswordError("short", "short")).toMatch(/at least 8/);
    expect(newPasswordError("long enough", "long enougH")).toMatch(/differ/);
    expect(newPasswordError("long enough", "long enough")).toBeNull();
  });

  it("names the browser and system of a session", () => {
    const chrome =
      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
    expect(describeDevice(chrome)).toBe("Chrome 131 on Linux");
    expect(describeDevice(null)).toBe("Unknown device");
    expect(describeDevice("curl/8.5.0")).toMatch(/curl/i);
  });
});
