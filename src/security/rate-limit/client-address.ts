// The key an address is counted under. `ctx.ip` is the peer address, or behind TRUST_PROXY=N hops
// the X-Forwarded-For entry the outermost trusted proxy added (Koa's `proxy` and `maxIpsCount`, set
// in app.ts): nothing here reads forwarding headers itself.
import { isIPv4, isIPv6 } from 'node:net';

/**
 * IPv4 addresses count one by one (an IPv4-mapped IPv6 address is its IPv4 address). IPv6
 * addresses count by /64: one subscriber is usually given a whole /64 and may use any address in
 * it, so counting single IPv6 addresses would hand an attacker 2^64 fresh budgets.
 */
export function addressKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (isIPv4(ip) || !isIPv6(ip)) return ip;
  return `${expandIPv6(ip).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, lower-case without leading zeros (zone id dropped). */
function expandIPv6(ip: string): string[] {
  let address = ip.toLowerCase().split('%')[0]!;
  // a trailing dotted IPv4 part is two groups
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    address = `${address.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.map((group) => Number.parseInt(group, 16).toString(16));
}
