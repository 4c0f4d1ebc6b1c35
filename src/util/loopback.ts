import { BlockList, isIP } from 'node:net';

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/**
 * Whether a host name or address means this machine: `localhost`, 127.0.0.0/8 or ::1, with or
 * without brackets, and IPv4-mapped (`::ffff:127.0.0.1`, as a dual-stack socket reports a peer).
 * Takes a URL's `hostname` or a socket's address; a Host header must be parsed first (it has a port).
 */
export function isLoopback(host: string | undefined): boolean {
  if (!host) return false;
  const name = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (name === 'localhost') return true;
  const family = isIP(name);
  return family !== 0 && LOOPBACK.check(name, family === 4 ? 'ipv4' : 'ipv6');
}
