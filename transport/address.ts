/**
 * Which network peers count as one for per-address limits. An IPv4 address is one peer; an IPv6
 * address is grouped by its /64 prefix, because one host or home network is usually handed a whole
 * /64 and could otherwise rotate through addresses to escape every limit. IPv4 written as IPv6
 * (`::ffff:10.0.0.5`) counts as the IPv4 address. Pure: strings in, strings out.
 */
import { isIPv4, isIPv6 } from "node:net";

/** The key per-address limits count under: "10.0.0.5", "2001:db8:0:1::/64", or `host` as is. */
export function addressKey(host: string): string {
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  if (isIPv4(bare)) return bare;
  if (!isIPv6(bare)) return bare;
  const groups = expandIPv6(bare.split("%")[0]!);
  if (groups === null) return bare;
  const mapped = groups.slice(0, 6).join(":") === "0:0:0:0:0:ffff";
  if (mapped) {
    const high = Number.parseInt(groups[6]!, 16);
    const low = Number.parseInt(groups[7]!, 16);
    return [high >> 8, high & 0xff, low >> 8, low & 0xff].join(".");
  }
  return `${groups.slice(0, 4).join(":")}::/64`;
}

/** The eight groups of an IPv6 address, each as lower-case hex without leading zeros. */
function expandIPv6(address: string): string[] | null {
  let text = address.toLowerCase();
  // A trailing dotted quad (::ffff:1.2.3.4) is two groups.
  const quad = text.match(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    text = text.slice(0, quad.index) +
      `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 0) return null;
  const groups = [...head, ...Array<string>(missing).fill("0"), ...tail];
  return groups.map((group) => Number.parseInt(group, 16).toString(16));
}
