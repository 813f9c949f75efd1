// Which address a request comes from, for the failed-authentication limit and the logs: the TCP peer, or,
// behind proxies named by TRUST_PROXY, the address the nearest trusted proxy added to X-Forwarded-For
// (docs/security.md §4). The entries left of it are whatever the client chose to send, so they are never
// believed: `true` means one proxy, not "any".
import { isIP } from 'node:net';

/** TRUST_PROXY: none (false), one proxy (true), that many proxies (a number), or these proxies (a list). */
export type TrustProxy = boolean | number | string[];

/**
 * Fastify's `trustProxy` for a TRUST_PROXY value. X-Forwarded-For is walked from the right, starting at the
 * TCP peer (hop 0): the client is the first address not trusted. A count trusts that many hops whoever they
 * are (Fastify's own number option now trusts none), so it is for servers only the proxies can reach.
 */
export function clientAddressTrust(
  trust: TrustProxy,
): false | string[] | ((address: string, hop: number) => boolean) {
  if (trust === false || Array.isArray(trust)) return trust;
  const hops = trust === true ? 1 : trust;
  return (_address, hop) => hop < hops;
}

/** proxy-addr's names for address ranges, accepted in a TRUST_PROXY list. */
const RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** An IP address, a CIDR range (`10.0.0.0/8`, `fd00::/8`) or a range name. */
export function isProxyAddress(entry: string): boolean {
  if (RANGE_NAMES.has(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128);
}
