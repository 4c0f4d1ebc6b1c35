/**
 * The pool of bound service connections (src/directory/ldap-pool.ts), with stand-in clients: the
 * real connections are counted against the test DC in test/bot/connections.test.ts. Here: who gets
 * a connection when all are lent, in what order, and what a dropped one leaves behind.
 */
import type { Client } from 'ldapts';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionPool, PoolTimeoutError } from '../../src/directory/ldap-pool.js';

interface FakeClient {
  readonly id: number;
  isConnected: boolean;
  isBound: boolean;
  unbind(): Promise<void>;
}

let opened: FakeClient[] = [];
const pools: ConnectionPool[] = [];
afterEach(() => {
  for (const pool of pools.splice(0)) pool.close();
  opened = [];
});

function pool(size: number, options: { waitMs?: number; open?: () => Promise<Client> } = {}): ConnectionPool {
  const p = new ConnectionPool({
    size,
    waitMs: options.waitMs ?? 5_000,
    checkAfterIdleMs: 30_000,
    maxIdleMs: 300_000,
    open:
      options.open ??
      (async () => {
        const client: FakeClient = {
          id: opened.length + 1,
          isConnected: true,
          isBound: true,
          unbind: async () => {
            client.isConnected = false;
          },
        };
        opened.push(client);
        return client as unknown as Client;
      }),
    check: async () => undefined,
  });
  pools.push(p);
  return p;
}

const idOf = (client: Client) => (client as unknown as FakeClient).id;
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('the directory connection pool', () => {
  it('serves those waiting first come first served: a newcomer never takes a connection given back to the first in line', async () => {
    const p = pool(2);
    const held = [await p.borrow(), await p.borrow()];
    const order: string[] = [];
    const waiters = ['w1', 'w2', 'w3', 'w4'].map((name) => p.borrow().then((client) => (order.push(name), client)));
    await tick();
    // Each time a connection comes back, someone new arrives in the same moment.
    const newcomers: Promise<Client>[] = [];
    for (let i = 0; i < 4; i++) {
      const back = i < 2 ? held[i]! : await waiters[i - 2]!;
      p.giveBack(back, true);
      newcomers.push(p.borrow().then((client) => (order.push(`new${i}`), client)));
      await tick();
    }
    expect(order).toEqual(['w1', 'w2', 'w3', 'w4']);
    expect(p.openCount).toBe(2);
    expect(opened).toHaveLength(2);
    // The newcomers are served after them, in the order they came.
    for (const client of await Promise.all(waiters.slice(2))) p.giveBack(client, true);
    for (const client of await Promise.all(newcomers.slice(0, 2))) p.giveBack(client, true);
    await Promise.all(newcomers);
    expect(order.slice(4)).toEqual(['new0', 'new1', 'new2', 'new3']);
  });

  it('a connection dropped on its return leaves the first in line room to open a new one', async () => {
    const p = pool(1);
    const first = await p.borrow();
    const waiting = p.borrow();
    await tick();
    p.giveBack(first, false);
    const second = await waiting;
    expect(idOf(second)).toBe(2);
    expect((first as unknown as FakeClient).isConnected).toBe(false);
    expect(p.openCount).toBe(1);
  });

  it('a failed open passes its room on to the next in line, and counts nothing', async () => {
    let fail = true;
    let n = 0;
    const p = pool(1, {
      open: async () => {
        n++;
        if (fail) throw new Error('unreachable');
        return { id: n, isConnected: true, isBound: true, unbind: async () => undefined } as unknown as Client;
      },
    });
    await expect(p.borrow()).rejects.toThrow('unreachable');
    expect(p.openCount).toBe(0);
    fail = false;
    const client = await p.borrow();
    expect(p.openCount).toBe(1);
    p.giveBack(client, true);
    expect(p.openCount).toBe(1);
  });

  it('tells a borrower who waited too long, and forgets them', async () => {
    const p = pool(1, { waitMs: 50 });
    const held = await p.borrow();
    await expect(p.borrow()).rejects.toBeInstanceOf(PoolTimeoutError);
    p.giveBack(held, true);
    const again = await p.borrow();
    expect(idOf(again)).toBe(idOf(held));
  });

  it('closing refuses those waiting and whoever comes after', async () => {
    const p = pool(1);
    await p.borrow();
    const waiting = p.borrow();
    p.close();
    await expect(waiting).rejects.toBeInstanceOf(PoolTimeoutError);
    await expect(p.borrow()).rejects.toBeInstanceOf(PoolTimeoutError);
  });
});
