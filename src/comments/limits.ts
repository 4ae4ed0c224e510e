/**
 * The service's limits and key shapes, in one place: the JSON API, the Akismet routes and the
 * console all read them from here (the content cap is a setting: MAX_CONTENT_CHARS in config.ts).
 */

/** Longest thread name (a permalink or a slug); Akismet permalinks longer than this are cut to fit. */
export const THREAD_MAX_CHARS = 512;
/** Author fields: names are short, addresses follow RFC 5321's 320, URLs the common 2,000. */
export const AUTHOR_NAME_MAX_CHARS = 200;
export const AUTHOR_EMAIL_MAX_CHARS = 320;
export const URL_MAX_CHARS = 2000;
export const USER_AGENT_MAX_CHARS = 1000;
export const EXTERNAL_ID_MAX_CHARS = 200;
export const NOTE_MAX_CHARS = 2000;
/** A honeypot field's value is only checked for being non-empty. */
export const HONEYPOT_MAX_CHARS = 1000;

/** A site API key: 12 lowercase letters/digits (≈62 bits), the shape Akismet clients accept. */
export const API_KEY_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
export const API_KEY_LENGTH = 12;
export const API_KEY_PATTERN = /^[a-z0-9]{12}$/;
