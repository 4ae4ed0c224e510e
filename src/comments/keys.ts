import { createHash, randomBytes, randomInt } from "node:crypto";
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
  return createHash("sha256").update(key, "utf8").digest("hex");
}

/**
 * A publishable key (issue 11): public, put in a site's pages for posts straight from the browser,
 * so it can only create comments. The prefix keeps it from ever being taken for the secret key.
 */
export function generatePublishableKey(): string {
  return `pk_${randomBytes(24).toString("base64url")}`;
}
