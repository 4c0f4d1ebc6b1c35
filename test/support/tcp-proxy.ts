/**
 * A TCP proxy on loopback in front of the test DC (or any server): it counts the connections it
 * accepts, can hold every chunk for a while in both directions (a slow directory, or a slow
 * network), and can cut every open connection (a killed socket, a restarted DC). TLS passes
 * through untouched: the client still verifies the DC's certificate (its SAN holds `localhost`).
 */
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';

export interface TcpProxy {
  readonly port: number;
  /** Connections accepted since the start (or the last `resetCount`). */
  readonly accepted: number;
  /** Connections open now. */
  readonly open: number;
  /** Every chunk waits this long before it is passed on (0: at once). Order is kept. */
  delayMs: number;
  resetCount(): void;
  /** Destroys every open connection, on both sides. */
  cutAll(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const state = { delayMs: 0 };

  /** Passes `from`'s data to `to`, each chunk after the delay in force when it arrived. */
  const pipeDelayed = (from: Socket, to: Socket) => {
    let chain = Promise.resolve();
    from.on('data', (chunk: Buffer) => {
      const delay = state.delayMs;
      chain = chain.then(
        () =>
          new Promise<void>((resolve) => {
            const pass = () => {
              if (!to.destroyed) to.write(chunk);
              resolve();
            };
            if (delay > 0) setTimeout(pass, delay).unref();
            else pass();
          }),
      );
    });
    from.on('end', () => void chain.then(() => to.end()));
  };

  const server = createServer((client) => {
    accepted += 1;
    const upstream = connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    pipeDelayed(client, upstream);
    pipeDelayed(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    get accepted() {
      return accepted;
    },
    get open() {
      return [...sockets].length / 2;
    },
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(ms: number) {
      state.delayMs = ms;
    },
    resetCount() {
      accepted = 0;
    },
    cutAll() {
      for (const s of sockets) s.destroy();
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
