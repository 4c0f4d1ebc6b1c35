/**
 * The local playground: try the bot without Teams. Only for the unauthenticated local mode
 * (DANGEROUSLY_ALLOW_UNAUTHENTICATED=true, where the bot listens on 127.0.0.1 only), and every
 * route below refuses a request that does not come from loopback or names another host.
 *
 * - `/playground`: a chat page (src/playground/public) that plays the Teams client. It posts
 *   Activities to the bot's own `/api/messages`, gets invoke responses (card actions, dialogs) in
 *   the HTTP answer, and renders cards with Microsoft's `adaptivecards` renderer.
 * - `/playground/connector/v3/conversations/…`: plays the Bot Connector. The page gives the bot this
 *   address as `serviceUrl`; what the bot posts, updates or deletes there is pushed to the page as
 *   Server-Sent Events on `/playground/events?conversation=…`.
 * - `/playground/outbox` and `/playground/outbox.json`: the mails the local mail catcher caught.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type restify from 'restify';
import type { Config } from '../config/config.js';
import { isLoopback } from '../util/loopback.js';

/** A mail as the outbox lists it (src/demo/mail-catcher.ts keeps them). */
export interface OutboxMail {
  /** 1, 2, 3… in order of arrival. */
  readonly id: number;
  /** ISO 8601. */
  readonly receivedAt: string;
  readonly from: string;
  /** The To header's addresses, or the envelope's recipients when it has none. */
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string;
}

export interface PlaygroundOptions {
  /** The bot's config: it must be the unauthenticated local mode. */
  readonly config: Config;
  /** The caught mails, newest first. */
  readonly outbox: () => readonly OutboxMail[];
}

/** An `extend(server)` for startBot; `close()` ends the open event streams (else the server cannot close). */
export type PlaygroundRoutes = ((server: restify.Server) => void) & { close(): void };

const PUBLIC_FILES: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'playground.css': 'text/css; charset=utf-8',
  'playground.js': 'text/javascript; charset=utf-8',
  'outbox.js': 'text/javascript; charset=utf-8',
};
const VENDOR_FILES: Readonly<Record<string, string>> = {
  'adaptivecards.min.js': 'adaptivecards/dist/adaptivecards.min.js',
  'markdown-it.min.js': 'markdown-it/dist/markdown-it.min.js',
};

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  // The card renderer sets inline styles; everything else comes from this server.
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
};

const MAX_CONVERSATIONS = 50;
const MAX_EVENTS_PER_CONVERSATION = 500;
const CONVERSATION_ID = /^[A-Za-z0-9:._@-]{1,200}$/;

/**
 * src/playground/public, found by walking up from this file to the repository (tsc does not copy
 * it), so it works from src/playground under vitest and from dist/src/playground after a build.
 */
export function findPublicDirectory(): string {
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; ) {
    const candidate = join(dir, 'src', 'playground', 'public');
    if (existsSync(join(candidate, 'index.html'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`playground files not found: no src/playground/public above ${start}`);
    dir = parent;
  }
}

/** A Host header naming loopback: refuses a page on another name that DNS-rebinds to 127.0.0.1. */
function isLoopbackHostHeader(host: string | undefined): boolean {
  try {
    return isLoopback(new URL(`http://${host ?? ''}`).hostname);
  } catch {
    return false;
  }
}

interface PushedEvent {
  readonly seq: number;
  readonly type: 'activity' | 'update' | 'delete';
  readonly data: string;
}

interface Conversation {
  readonly events: PushedEvent[];
  readonly clients: Set<ServerResponse>;
}

function sse(res: ServerResponse, event: PushedEvent): void {
  res.write(`id: ${event.seq}\nevent: ${event.type}\ndata: ${event.data}\n\n`);
}

export function playgroundRoutes(options: PlaygroundOptions): PlaygroundRoutes {
  const { config } = options;
  if (!config.bot.unauthenticated) {
    throw new Error('the playground is for the unauthenticated local mode only (DANGEROUSLY_ALLOW_UNAUTHENTICATED=true)');
  }
  const publicDir = findPublicDirectory();
  const require = createRequire(import.meta.url);
  const vendorPaths = Object.fromEntries(Object.entries(VENDOR_FILES).map(([name, module]) => [name, require.resolve(module)]));

  // The Teams tenants the page can play: the first environment's first, then the others'.
  const tenants = config.tenants.flatMap((t) => (t.teamsTenantIds[0] ? [{ id: t.teamsTenantIds[0], name: t.name }] : []));

  const conversations = new Map<string, Conversation>();
  // Event numbers start at the clock, so that they keep growing when the demo is restarted: a page
  // that kept its chat and asks for what came after its last event still gets the new ones.
  let seq = Date.now();
  let activityCounter = 0;

  const conversation = (id: string): Conversation => {
    let found = conversations.get(id);
    if (!found) {
      found = { events: [], clients: new Set() };
      conversations.set(id, found);
      // Forget the oldest conversations nobody watches any more.
      for (const [oldId, old] of conversations) {
        if (conversations.size <= MAX_CONVERSATIONS) break;
        if (old.clients.size === 0) conversations.delete(oldId);
      }
    }
    return found;
  };

  const push = (conversationId: string, type: PushedEvent['type'], payload: unknown) => {
    const target = conversation(conversationId);
    const event: PushedEvent = { seq: ++seq, type, data: JSON.stringify(payload) };
    target.events.push(event);
    target.events.splice(0, target.events.length - MAX_EVENTS_PER_CONVERSATION);
    for (const client of target.clients) sse(client, event);
  };

  const heartbeat = setInterval(() => {
    for (const { clients } of conversations.values()) for (const client of clients) client.write(': ping\n\n');
  }, 20_000);
  heartbeat.unref();

  const sendFile = (res: restify.Response, path: string, contentType: string) => {
    res.sendRaw(200, readFileSync(path), { ...SECURITY_HEADERS, 'content-type': contentType });
  };

  type Handler = (req: restify.Request, res: restify.Response) => Promise<void>;
  /** Every playground route: loopback peers only, asking for a loopback host name. */
  const local =
    (handler: Handler): Handler =>
    async (req, res) => {
      if (!isLoopback(req.socket.remoteAddress) || !isLoopbackHostHeader(req.headers.host)) {
        res.send(403, { error: 'the playground answers on loopback only' });
        return;
      }
      await handler(req, res);
    };

  const conversationParam = (req: restify.Request): string | null => {
    const value: unknown = (req.params as Record<string, unknown> | undefined)?.['conversationId'];
    return typeof value === 'string' && CONVERSATION_ID.test(value) ? value : null;
  };
  const activityParam = (req: restify.Request): string | null => {
    const value: unknown = (req.params as Record<string, unknown> | undefined)?.['activityId'];
    return typeof value === 'string' && value.length > 0 && value.length <= 200 ? value : null;
  };
  const bodyOf = (req: restify.Request): Record<string, unknown> => {
    const body: unknown = req.body;
    return body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  };

  const extend = (server: restify.Server) => {
    const page = (file: string) => local(async (_req, res) => sendFile(res, join(publicDir, file), PUBLIC_FILES[file] ?? 'text/plain'));
    server.get('/playground', page('index.html'));
    server.get('/playground/', page('index.html'));
    server.get('/playground/outbox', page('index.html'));

    server.get(
      '/playground/static/:file',
      local(async (req, res) => {
        const file = String((req.params as Record<string, unknown>)['file']);
        const type = PUBLIC_FILES[file];
        if (type) sendFile(res, join(publicDir, file), type);
        else res.send(404, { error: 'not found' });
      }),
    );
    server.get(
      '/playground/vendor/:file',
      local(async (req, res) => {
        const path = vendorPaths[String((req.params as Record<string, unknown>)['file'])];
        if (path) sendFile(res, path, 'text/javascript; charset=utf-8');
        else res.send(404, { error: 'not found' });
      }),
    );

    server.get(
      '/playground/config.json',
      local(async (_req, res) => {
        const { address, port } = server.address() as AddressInfo;
        const host = address.includes(':') ? `[${address}]` : address;
        res.set(SECURITY_HEADERS);
        res.send(200, { tenants, serviceUrl: `http://${host}:${port}/playground/connector/` });
      }),
    );

    server.get(
      '/playground/outbox.json',
      local(async (_req, res) => {
        res.set(SECURITY_HEADERS);
        res.send(200, { mails: options.outbox() });
      }),
    );

    // What the bot sent to one conversation, as it happens; a reconnect gets what it missed (the
    // browser's Last-Event-ID), and so does a reloaded page that kept its chat (`after`).
    server.get(
      '/playground/events',
      local(async (req, res) => {
        const query = new URL(req.url ?? '', 'http://localhost').searchParams;
        const id = query.get('conversation') ?? '';
        if (!CONVERSATION_ID.test(id)) {
          res.send(400, { error: 'conversation must be a conversation id' });
          return;
        }
        const target = conversation(id);
        const lastSeen = Number(req.headers['last-event-id'] ?? query.get('after') ?? 0) || 0;
        res.statusCode = 200;
        for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
        res.setHeader('content-type', 'text/event-stream; charset=utf-8');
        res.setHeader('connection', 'keep-alive');
        res.flushHeaders();
        res.write('retry: 1000\n\n');
        for (const event of target.events) if (event.seq > lastSeen) sse(res, event);
        res.write('event: ready\ndata: {}\n\n');
        target.clients.add(res);
        req.once('close', () => target.clients.delete(res));
      }),
    );

    // The Bot Connector's REST API, the parts the bot uses.
    const post = local(async (req, res) => {
      const conversationId = conversationParam(req);
      if (!conversationId) {
        res.send(400, { error: 'not a conversation id' });
        return;
      }
      const id = `playground-${++activityCounter}`;
      push(conversationId, 'activity', { ...bodyOf(req), id, timestamp: new Date().toISOString() });
      res.send(200, { id });
    });
    server.post('/playground/connector/v3/conversations/:conversationId/activities', post);
    server.post('/playground/connector/v3/conversations/:conversationId/activities/:activityId', post);

    // Card updates and deletions: the page changes the card it shows in place.
    const change = (event: 'update' | 'delete') =>
      local(async (req, res) => {
        const conversationId = conversationParam(req);
        const id = activityParam(req);
        if (!conversationId || !id) {
          res.send(400, { error: 'not a conversation or activity id' });
          return;
        }
        push(conversationId, event, event === 'update' ? { ...bodyOf(req), id } : { id });
        res.send(200, event === 'update' ? { id } : {});
      });
    const oneActivity = '/playground/connector/v3/conversations/:conversationId/activities/:activityId';
    server.put(oneActivity, change('update'));
    server.del(oneActivity, change('delete'));
  };

  return Object.assign(extend, {
    close() {
      clearInterval(heartbeat);
      for (const { clients } of conversations.values()) {
        for (const client of clients) client.end();
        clients.clear();
      }
    },
  });
}
