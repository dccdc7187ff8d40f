import { random } from "./digest.ts";

const UPPER_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const BASE64ISH = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

function pick(alphabet: string, length: number): string {
  // 62 and 36 do not divide 256: reject the tail of the byte range so every character is equally likely.
  const limit = 256 - (256 % alphabet.length);
  let out = "";
  while (out.length < length) {
    for (const byte of random(length * 2)) {
      if (byte < limit && out.length < length) out += alphabet[byte % alphabet.length];
    }
  }
  return out;
}

/** Random credentials shaped like AWS's (20-char `AKIA…` key id, 40-char secret), for dev start-up. */
export function generateCredentials(): { accessKeyId: string; secretAccessKey: string } {
  return { accessKeyId: `AKIA${pick(UPPER_ALNUM, 16)}`, secretAccessKey: pick(BASE64ISH, 40) };
}
