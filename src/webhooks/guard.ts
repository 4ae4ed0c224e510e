/**
 * The SSRF guard for webhook URLs: which addresses a delivery may connect to. A receiver URL is
 * chosen by whoever holds a site's key, so without this it could aim the worker at the metadata
 * service, at Postgres or Redis on localhost, or at anything else inside the network.
 *
 * Checked at save (a clear 400) and again at every delivery, on the addresses DNS gives then; the
 * connection then goes to exactly the address checked (see send.ts), so a name that re-resolves
 * between the check and the connect (DNS rebinding) cannot slip through.
 */
import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";

/** Why an address is refused; `metadata` is refused even when private addresses are allowed. */
export type AddressKind = "loopback" | "private" | "link-local" | "metadata" | "reserved";

function blockList(ranges: [string, number, "ipv4" | "ipv6"][]): BlockList {
  const list = new BlockList();
  for (const [net, prefix, type] of ranges) list.addSubnet(net, prefix, type);
  return list;
}

// IANA special-purpose registries: https://www.iana.org/assignments/iana-ipv4-special-registry and
// https://www.iana.org/assignments/iana-ipv6-special-registry
const METADATA = blockList([
  // AWS, GCP, Azure, OpenStack, DigitalOcean (and every name for it, like metadata.google.internal).
  ["169.254.169.254", 32, "ipv4"],
  // Alibaba Cloud.
  ["100.100.100.200", 32, "ipv4"],
  // AWS over IPv6.
  ["fd00:ec2::254", 128, "ipv6"],
]);
const LOOPBACK = blockList([
  ["127.0.0.0", 8, "ipv4"],
  ["::1", 128, "ipv6"],
]);
const LINK_LOCAL = blockList([
  ["169.254.0.0", 16, "ipv4"],
  ["fe80::", 10, "ipv6"],
]);
const PRIVATE = blockList([
  ["10.0.0.0", 8, "ipv4"],
  ["172.16.0.0", 12, "ipv4"],
  ["192.168.0.0", 16, "ipv4"],
  // Carrier-grade NAT: private in practice (cloud VPCs and Tailscale use it).
  ["100.64.0.0", 10, "ipv4"],
  // Benchmarking networks, often used inside labs and clusters.
  ["198.18.0.0", 15, "ipv4"],
  // Unique local (fc00::/7) and the deprecated site-local.
  ["fc00::", 7, "ipv6"],
  ["fec0::", 10, "ipv6"],
]);
const RESERVED = blockList([
  // "This network": 0.0.0.0 connects to the local host on Linux.
  ["0.0.0.0", 8, "ipv4"],
  ["192.0.0.0", 24, "ipv4"],
  ["192.0.2.0", 24, "ipv4"],
  ["198.51.100.0", 24, "ipv4"],
  ["203.0.113.0", 24, "ipv4"],
  // Multicast, reserved, broadcast.
  ["224.0.0.0", 4, "ipv4"],
  ["240.0.0.0", 4, "ipv4"],
  ["::", 128, "ipv6"],
  ["100::", 64, "ipv6"],
  ["2001:db8::", 32, "ipv6"],
  ["ff00::", 8, "ipv6"],
]);

/** The 8 hextets of an IPv6 address (also with an embedded dotted quad), or undefined. */
function hextets(address: string): number[] | undefined {
  if (isIP(address) !== 6) return undefined;
  let text = address.toLowerCase();
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = "", tail] = text.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const zeros = tail === undefined ? 0 : 8 - left.length - right.length;
  const all = [...left, ...Array<string>(zeros).fill("0"), ...right].map((h) => parseInt(h, 16));
  return all.length === 8 ? all : undefined;
}

/**
 * The IPv4 address an IPv6 one stands for, when it does: IPv4-mapped (::ffff:a.b.c.d, which the
 * kernel connects to over IPv4), IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96) and 6to4
 * (2002::/16). Without this, ::ffff:127.0.0.1 would pass as "some IPv6 address".
 */
export function embeddedIpv4(address: string): string | undefined {
  const h = hextets(address);
  if (!h) return undefined;
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  const zeroUntil = (n: number) => h.slice(0, n).every((x) => x === 0);
  if (zeroUntil(5) && h[5] === 0xffff) return v4(h[6]!, h[7]!);
  if (zeroUntil(6) && (h[6] !== 0 || h[7]! > 1)) return v4(h[6]!, h[7]!);
  if (h[0] === 0x64 && h[1] === 0xff9b && h.slice(2, 6).every((x) => x === 0)) return v4(h[6]!, h[7]!);
  if (h[0] === 0x2002) return v4(h[1]!, h[2]!);
  return undefined;
}

/** What kind of forbidden address `address` is, or undefined for a public one. */
export function classifyAddress(address: string): AddressKind | undefined {
  const family = isIP(address);
  if (family === 0) return "reserved";
  const mapped = family === 6 ? embeddedIpv4(address) : undefined;
  if (mapped !== undefined) return classifyAddress(mapped);
  const type = family === 4 ? "ipv4" : "ipv6";
  if (METADATA.check(address, type)) return "metadata";
  if (LOOPBACK.check(address, type)) return "loopback";
  if (LINK_LOCAL.check(address, type)) return "link-local";
  if (PRIVATE.check(address, type)) return "private";
  if (RESERVED.check(address, type)) return "reserved";
  return undefined;
}

/** Kinds refused whatever the setting: nothing legitimate listens there. */
const ALWAYS_REFUSED: ReadonlySet<AddressKind> = new Set(["metadata", "reserved"]);

export function isAllowed(address: string, allowPrivate: boolean): { ok: true } | { ok: false; kind: AddressKind } {
  const kind = classifyAddress(address);
  if (kind === undefined || (allowPrivate && !ALWAYS_REFUSED.has(kind))) return { ok: true };
  return { ok: false, kind };
}

/** The guard said no, or the name did not resolve: not worth retrying the same way. */
export class RefusedAddressError extends Error {
  constructor(
    message: string,
    readonly kind: AddressKind | "unresolvable",
  ) {
    super(message);
    this.name = "RefusedAddressError";
  }
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** `URL.hostname` keeps the brackets of an IPv6 literal. */
export function bareHost(hostname: string): string {
  return hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname;
}

/**
 * Resolves `hostname` and checks every address it has (one bad address refuses the name: a
 * round-robin answer must not get a private address in on the second try). Returns the address to
 * connect to. DNS failures are thrown as they come (ENOTFOUND, EAI_AGAIN: the caller retries those).
 */
export async function resolveAllowed(hostname: string, allowPrivate: boolean): Promise<ResolvedAddress> {
  const host = bareHost(hostname);
  const literal = isIP(host);
  const addresses: ResolvedAddress[] =
    literal !== 0
      ? [{ address: host, family: literal as 4 | 6 }]
      : (await lookup(host, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family as 4 | 6 }));
  const first = addresses[0];
  if (!first) throw new RefusedAddressError(`${host} has no address`, "unresolvable");
  for (const a of addresses) {
    const verdict = isAllowed(a.address, allowPrivate);
    if (!verdict.ok) {
      const hint = ALWAYS_REFUSED.has(verdict.kind) ? "" : " (WEBHOOKS_ALLOW_PRIVATE=1 allows it)";
      throw new RefusedAddressError(`${host} resolves to ${a.address}, a ${verdict.kind} address${hint}`, verdict.kind);
    }
  }
  return first;
}
