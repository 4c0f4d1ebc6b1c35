/** A loopback address nobody listens on for LDAP (389, 636): where a benchmark's own DC can start. */
import { createConnection } from 'node:net';

function listens(ip, port) {
  return new Promise((resolve) => {
    const socket = createConnection({ host: ip, port, timeout: 300 });
    socket.on('connect', () => (socket.destroy(), resolve(true)));
    socket.on('error', () => resolve(false));
    socket.on('timeout', () => (socket.destroy(), resolve(false)));
  });
}

export async function freeIp() {
  for (;;) {
    const ip = `127.${100 + Math.floor(Math.random() * 100)}.${Math.floor(Math.random() * 250) + 1}.${Math.floor(Math.random() * 250) + 1}`;
    if (!(await listens(ip, 636)) && !(await listens(ip, 389))) return ip;
  }
}
