/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com/), through the spec's own
 * `standardwebhooks` package: HMAC-SHA256 over `${id}.${timestamp}.${body}`, sent as
 * `webhook-signature: v1,<base64>`; several space-separated signatures while a secret rotates.
 */
import { randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";

/** 32 random bytes, base64 with the spec's `whsec_` prefix (the spec asks for 24 to 64). */
export function generateSecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}

export interface SigningSecrets {
  secret: string;
  previousSecret: string | null;
  previousSecretExpiresAt: Date | null;
}

/** The secrets to sign with at `now`: the current one, and the previous one until its overlap ends. */
export function activeSecrets(s: SigningSecrets, now: Date): string[] {
  const previous = s.previousSecret && s.previousSecretExpiresAt && s.previousSecretExpiresAt > now ? [s.previousSecret] : [];
  return [s.secret, ...previous];
}

/** The three Standard Webhooks headers for one attempt (the timestamp is the attempt's, as the spec asks). */
export function signatureHeaders(messageId: string, body: string, secrets: readonly string[], now: Date): Record<string, string> {
  return {
    "webhook-id": messageId,
    "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
    "webhook-signature": secrets.map((s) => new Webhook(s).sign(messageId, now, body)).join(" "),
  };
}
