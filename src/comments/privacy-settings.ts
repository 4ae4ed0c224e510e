/**
 * Per-site privacy and retention settings (issue 11), stored under `settings.privacy` and
 * `settings.retention` in the site's free-form settings column, and what intake does with them:
 * IP addresses cut to their network, e-mail addresses replaced by a keyed hash.
 */
import { createHmac } from "node:crypto";
import { z } from "zod";
import { ipNetwork } from "../classifier/index.js";
import type { Executor } from "../db/client.js";
import { installSecret } from "../db/queries/privacy.js";
import type { SiteRow } from "../db/schema.js";

export const privacySettingsSchema = z.strictObject({
  /** Store only the /24 of an IPv4 address and the /48 of an IPv6 one: what scoring reads anyway. */
  truncateIp: z.boolean().default(false),
  /** Store `hmac:<hash>@<domain>` instead of the address: the domain is what scoring reads. */
  hashEmail: z.boolean().default(false),
});

const days = z.int().min(1).max(36_500).nullable();

export const retentionSettingsSchema = z.strictObject({
  /** Comments in `spam` older than this many days are purged; null keeps them. */
  spamDays: days.default(null),
  /** Every comment older than this many days is purged; null keeps them. */
  allDays: days.default(null),
  /**
   * Whether a purged comment's learned counts stay in the model (summed per site, with no link to
   * the comment). Default false: a purge forgets the comment entirely, so what the model knows is
   * always what `retrain` rebuilds from the stored comments, and nothing of a purged text remains.
   */
  keepLearnedCounts: z.boolean().default(false),
});

export type PrivacySettings = z.infer<typeof privacySettingsSchema>;
export type RetentionSettings = z.infer<typeof retentionSettingsSchema>;

function parsedOr<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value ?? {});
  return parsed.success ? parsed.data : schema.parse({});
}

export function privacySettingsOf(site: Pick<SiteRow, "settings">): PrivacySettings {
  return parsedOr(privacySettingsSchema, site.settings.privacy);
}

export function retentionSettingsOf(site: Pick<SiteRow, "settings">): RetentionSettings {
  return parsedOr(retentionSettingsSchema, site.settings.retention);
}

/** What intake applies to one site's comments; `emailKey` is set when addresses are hashed. */
export interface IntakePrivacy {
  truncateIp: boolean;
  emailKey?: string;
}

export const NO_INTAKE_PRIVACY: IntakePrivacy = { truncateIp: false };

const EMAIL_SECRET = "email-hmac";
/** The secret never changes once made: one read per process and database. */
const secrets = new WeakMap<object, Promise<string>>();

/** The installation's e-mail hashing key (made in the database on first use; see README). */
export function emailKey(db: Executor): Promise<string> {
  let p = secrets.get(db);
  if (!p) {
    p = installSecret(db, EMAIL_SECRET);
    p.catch(() => secrets.delete(db));
    secrets.set(db, p);
  }
  return p;
}

/** Resolves a site's settings into what intake applies (reads the hashing key only when needed). */
export async function intakePrivacyFor(db: Executor, site: Pick<SiteRow, "settings">): Promise<IntakePrivacy> {
  const s = privacySettingsOf(site);
  if (!s.hashEmail) return s.truncateIp ? { truncateIp: true } : NO_INTAKE_PRIVACY;
  return { truncateIp: s.truncateIp, emailKey: await emailKey(db) };
}

/**
 * The network an address belongs to, as an address: `203.0.113.7` → `203.0.113.0`,
 * `2001:db8:abcd:12::1` → `2001:db8:abcd::`. Built from the classifier's own `ipNetwork`, so the
 * stored form yields exactly the token the full address did. Undefined for what is no address
 * (nothing is stored rather than a string that might identify someone).
 */
export function truncateIp(ip: string): string | undefined {
  const net = ipNetwork(ip);
  if (!net) return undefined;
  return net.slice("ip:".length).replace(/\/\d+$/, "");
}

/**
 * `hmac:<first 128 bits of HMAC-SHA256(key, trimmed lower-case address)>@<domain>`. Keyed, so the
 * hash cannot be looked up in a table of known addresses without the key; deterministic, so the same
 * person hashes the same on every comment (the console groups them, erasure finds them).
 */
export function hashEmail(email: string, key: string): string {
  const normalized = email.trim().toLowerCase();
  const digest = createHmac("sha256", key).update(normalized, "utf8").digest("hex").slice(0, 32);
  const at = normalized.lastIndexOf("@");
  return at < 0 ? `hmac:${digest}` : `hmac:${digest}@${normalized.slice(at + 1)}`;
}

/** A comment's address and e-mail as this site stores them. */
export function protectIdentity(
  fields: { email?: string | undefined; ip?: string | undefined },
  privacy: IntakePrivacy,
): { email?: string; ip?: string } {
  const out: { email?: string; ip?: string } = {};
  if (fields.email !== undefined) {
    if (privacy.emailKey === undefined) out.email = fields.email;
    else if (fields.email.trim() !== "") out.email = hashEmail(fields.email, privacy.emailKey);
  }
  if (fields.ip !== undefined) {
    const ip = privacy.truncateIp ? truncateIp(fields.ip) : fields.ip;
    if (ip !== undefined) out.ip = ip;
  }
  return out;
}
