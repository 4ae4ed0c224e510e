/**
 * Which bucket a client address counts against. IPv4: the address. IPv6: its /64, because one
 * subscriber line, host or VM is handed at least a /64 (RFC 6177, RIPE-690) and picks addresses
 * inside it at will (SLAAC privacy addresses, RFC 8981): counted per address, one client could
 * rotate past any limit. An IPv4-mapped address (`::ffff:192.0.2.1`, what a dual-stack socket
 * reports for an IPv4 peer) is the IPv4 address.
 *
 * Not the classifier's `ipNetwork` (/24 and /48, model tokens): a limit must not make a whole
 * IPv4 /24 or a site's /48 share one bucket, and the model's tokens must not move with it.
 */
import { isIP } from "node:net";

/** The eight 16-bit groups of a valid IPv6 address without its zone (`fe80::1%eth0` → `fe80::1`). */
function ipv6Groups(ip: string): number[] {
  let s = ip;
  const tail: number[] = [];
  // A trailing dotted quad (`::ffff:192.0.2.1`, `64:ff9b::192.0.2.1`) is the last two groups.
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (quad) {
    const [a = 0, b = 0, c = 0, d = 0] = quad.slice(1).map(Number);
    tail.push((a << 8) | b, (c << 8) | d);
    s = s.slice(0, quad.index);
    // `1:2:3:4:5:6:` keeps one colon too many once the quad is gone; `::` stays as it is.
    if (s.endsWith(":") && !s.endsWith("::")) s = s.slice(0, -1);
  }
  const parse = (part: string) => (part === "" ? [] : part.split(":").map((g) => parseInt(g, 16)));
  const [head = "", rest] = s.split("::");
  const left = parse(head);
  const right = rest === undefined ? [] : parse(rest);
  const zeros = 8 - tail.length - left.length - right.length;
  return [...left, ...Array<number>(Math.max(0, zeros)).fill(0), ...right, ...tail];
}

/** RFC 5952's text form of a network's first four groups: `2001:db8:0:0` → `2001:db8::`. */
function formatPrefix64(groups: number[]): string {
  const hex = groups.slice(0, 4).map((g) => g.toString(16));
  // The zeros after the prefix always join the longest run that ends the address.
  let end = hex.length;
  while (end > 0 && hex[end - 1] === "0") end--;
  return `${hex.slice(0, end).join(":")}::/64`;
}

/**
 * The rate-limit key of an address: `192.0.2.1`, or `2001:db8:1:2::/64` for every address of that
 * /64 however it is written (zone, case, `::` or not). Undefined for what is no address.
 */
export function rateLimitKeyOf(raw: string | undefined): string | undefined {
  const ip = raw?.trim().replace(/%.*$/, "");
  if (!ip) return undefined;
  const family = isIP(ip);
  if (family === 4) return ip;
  if (family !== 6) return undefined;
  const g = ipv6Groups(ip.toLowerCase());
  if (g.length !== 8) return undefined;
  // ::ffff:0:0/96 (RFC 4291 §2.5.5.2): an IPv4 peer seen through an IPv6 socket.
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
    const [hi = 0, lo = 0] = g.slice(6);
    return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  }
  return formatPrefix64(g);
}
