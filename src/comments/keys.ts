import { hash, randomBytes, randomInt } from "node:crypto";
import { API_KEY_ALPHABET, API_KEY_LENGTH } from "./limits.js";

/** A site API key in the shape comments/limits.ts defines. */
export function generateApiKey(): string {
  let key = "";
  for (let i = 0; i < API_KEY_LENGTH; i++) key += API_KEY_ALPHABET[randomInt(API_KEY_ALPHABET.length)];
  return key;
}

/** A moderator key: longer, prefixed so it is never mistaken for (or accepted as) an API key. */
export function generateModeratorKey(): string {
  return `mod_${randomBytes(24).toString("base64url")}`;
}

/** Keys are random and high-entropy, so a fast hash is enough: nothing to brute-force offline. */
export function hashKey(key: string): string {
  // crypto.hash (Node ≥ 20.12): the same digest as createHash().update().digest(), ~3× cheaper for
  // a short input, and every authenticated request hashes its key (1–2 % of the API's CPU).
  return hash("sha256", key, "hex");
}

/**
 * A publishable key (issue 11): public, put in a site's pages for posts straight from the browser,
 * so it can only create comments. The prefix keeps it from ever being taken for the secret key.
 */
export function generatePublishableKey(): string {
  return `pk_${randomBytes(24).toString("base64url")}`;
}
