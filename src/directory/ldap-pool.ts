/**
 * A few bound service-account connections, kept between actions so that an action does not pay
 * a TLS handshake and a bind (src/directory/ldap-directory.ts lends one per action).
 *
 * What may sit in the pool is narrow on purpose:
 * - only connections this pool opened and bound as the service account (an admin's sign-in bind
 *   has a connection of its own, never given back here);
 * - a connection is lent to one action at a time; it comes back only when every operation on it
 *   was answered (any error or timeout discards it: a late answer must not reach the next action);
 * - on borrow it must still be connected and bound (a connection the server closed, or that
 *   ldapts re-opened unbound, is dropped), and one idle for a while is asked a question first
 *   (a socket the network dropped without a word would otherwise hold the action until the timeout).
 *
 * Borrowers that find every connection lent wait in line, first come first served: a connection
 * given back goes straight to the first in line (or, when it is dropped, the room to open a new
 * one does), so a newcomer can never take it from under someone who waited.
 */
import type { Client } from 'ldapts';

export interface PoolOptions {
  /** Most connections open at once (lent and idle); further borrowers wait. */
  readonly size: number;
  /** How long a borrower waits for a free connection. */
  readonly waitMs: number;
  /** A connection idle longer than this answers a question before it is lent. */
  readonly checkAfterIdleMs: number;
  /** A connection idle longer than this is closed instead of lent. */
  readonly maxIdleMs: number;
  /** A new connection, encrypted and bound as the service account. */
  open(): Promise<Client>;
  /** One round trip that proves the connection answers and is bound as the service account. */
  check(client: Client): Promise<void>;
  now?: () => number;
}

export class PoolTimeoutError extends Error {
  override readonly name = 'PoolTimeoutError';
}

interface Idle {
  readonly client: Client;
  readonly since: number;
}

/** What the first in line is handed: a connection just given back, or room to open one. */
type Turn = { readonly client: Client } | { readonly open: true };

interface Waiter {
  readonly take: (turn: Turn) => void;
  readonly fail: (error: Error) => void;
}

export class ConnectionPool {
  private readonly idle: Idle[] = [];
  /** Connections lent out, and the room held by those opening one. */
  private lent = 0;
  private readonly waiting: Waiter[] = [];
  private closed = false;

  constructor(private readonly options: PoolOptions) {}

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** Open connections, lent and idle (for tests and the benchmark). */
  get openCount(): number {
    return this.lent + this.idle.length;
  }

  /** A connection for one action; hand it back with `giveBack`, whatever happened. */
  async borrow(): Promise<Client> {
    if (this.closed) throw new PoolTimeoutError('the directory connections are closed');
    let handed: Client | undefined;
    if (this.idle.length === 0 && this.lent >= this.options.size) {
      // The turn comes with its place in `lent`, kept for us by whoever handed it on.
      const turn = await this.waitForTurn();
      if ('client' in turn) handed = turn.client;
    } else {
      this.lent += 1;
    }
    try {
      if (handed) {
        // Given back a moment ago, healthy: no question needed.
        if (handed.isConnected && handed.isBound) return handed;
        discard(handed);
      }
      // Most recently used first: it is the one most likely alive, and the others age out.
      for (let held = this.idle.pop(); held; held = this.idle.pop()) {
        if (await this.usable(held)) return held.client;
        discard(held.client);
      }
      return await this.options.open();
    } catch (error) {
      this.handOn(undefined);
      throw error;
    }
  }

  /** `healthy`: every operation on it was answered, so it may serve the next action. */
  giveBack(client: Client, healthy: boolean): void {
    const keep = healthy && !this.closed && client.isConnected && client.isBound;
    if (!keep) discard(client);
    this.handOn(keep ? client : undefined);
  }

  close(): void {
    this.closed = true;
    for (const held of this.idle.splice(0)) discard(held.client);
    for (const waiter of this.waiting.splice(0)) waiter.fail(new PoolTimeoutError('the directory connections are closed'));
  }

  /** A place in `lent` is free: to the first in line (with the connection, if any), else to the idle ones. */
  private handOn(client: Client | undefined): void {
    const next = this.waiting.shift();
    if (next) {
      next.take(client ? { client } : { open: true });
      return;
    }
    this.lent -= 1;
    if (client) this.idle.push({ client, since: this.now() });
  }

  private async usable(held: Idle): Promise<boolean> {
    if (!held.client.isConnected || !held.client.isBound) return false;
    const idleMs = this.now() - held.since;
    if (idleMs > this.options.maxIdleMs) return false;
    if (idleMs <= this.options.checkAfterIdleMs) return true;
    try {
      await this.options.check(held.client);
      return held.client.isConnected && held.client.isBound;
    } catch {
      return false;
    }
  }

  private waitForTurn(): Promise<Turn> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        take: (turn) => {
          clearTimeout(timer);
          resolve(turn);
        },
        fail: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        const at = this.waiting.indexOf(waiter);
        if (at >= 0) this.waiting.splice(at, 1);
        reject(new PoolTimeoutError(`no directory connection free within ${this.options.waitMs} ms`));
      }, this.options.waitMs);
      this.waiting.push(waiter);
    });
  }
}

function discard(client: Client): void {
  client.unbind().catch(() => undefined);
}
