/**
 * A local stand-in for Teams: it posts Activities to the bot's real /api/messages endpoint, and
 * plays the Bot Connector that receives the bot's replies and card updates (serviceUrl).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ConnectorCall {
  readonly method: string;
  readonly path: string;
  readonly conversationId: string;
  /** The activity id in the path: replyToId for a POST, the updated activity for a PUT. */
  readonly activityId: string | undefined;
  readonly body: Record<string, unknown>;
  /** The id the connector gave a posted activity. */
  readonly id: string;
}

export interface StandInConnector {
  readonly url: string;
  readonly calls: ConnectorCall[];
  waitFor(predicate: (call: ConnectorCall) => boolean, timeoutMs?: number): Promise<ConnectorCall>;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (data += chunk));
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

export async function startConnector(): Promise<StandInConnector> {
  const calls: ConnectorCall[] = [];
  const waiters: { predicate: (c: ConnectorCall) => boolean; resolve: (c: ConnectorCall) => void }[] = [];
  let counter = 0;
  const server: Server = createServer((req, res) => {
    void readBody(req).then((text) => {
      const path = decodeURI(req.url ?? '');
      const match = /^\/v3\/conversations\/([^/]+)\/activities(?:\/([^/?]+))?/.exec(path);
      const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      const id = req.method === 'PUT' && match?.[2] ? decodeURIComponent(match[2]) : `activity-${++counter}`;
      const call: ConnectorCall = {
        method: req.method ?? '',
        path,
        conversationId: decodeURIComponent(match?.[1] ?? ''),
        activityId: match?.[2] ? decodeURIComponent(match[2]) : undefined,
        body,
        id,
      };
      calls.push(call);
      for (const waiter of [...waiters]) {
        if (waiter.predicate(call)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(call);
        }
      }
      // Not chained: restify patches writeHead process-wide.
      res.statusCode = 200;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ id }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    calls,
    waitFor(predicate, timeoutMs = 10_000) {
      const found = calls.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the bot sent no such activity')), timeoutMs);
        waiters.push({
          predicate,
          resolve: (call) => {
            clearTimeout(timer);
            resolve(call);
          },
        });
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface TeamsUserOptions {
  readonly teamsTenantId: string;
  readonly aadObjectId?: string;
  readonly conversationType?: 'personal' | 'groupChat' | 'channel';
  readonly locale?: string;
}

export interface InvokeResult {
  readonly status: number;
  readonly body: Record<string, unknown> | undefined;
}

/** One person in Teams, chatting with the bot in one conversation. */
export class TeamsUser {
  readonly aadObjectId: string;
  readonly conversationId: string;

  constructor(
    private readonly botUrl: string,
    private readonly connector: StandInConnector,
    private readonly options: TeamsUserOptions,
  ) {
    this.aadObjectId = options.aadObjectId ?? randomUUID();
    this.conversationId = `a:${randomUUID()}`;
  }

  private activity(fields: Record<string, unknown>): Record<string, unknown> {
    return {
      id: randomUUID(),
      channelId: 'msteams',
      serviceUrl: this.connector.url,
      timestamp: new Date().toISOString(),
      locale: this.options.locale ?? 'en-US',
      from: { id: `29:${this.aadObjectId}`, aadObjectId: this.aadObjectId, name: 'Test Admin' },
      recipient: { id: '28:bot', name: 'Password Reset' },
      conversation: {
        id: this.conversationId,
        conversationType: this.options.conversationType ?? 'personal',
        tenantId: this.options.teamsTenantId,
      },
      channelData: { tenant: { id: this.options.teamsTenantId } },
      ...fields,
    };
  }

  async post(activity: Record<string, unknown>, headers: Record<string, string> = {}): Promise<InvokeResult> {
    const response = await fetch(`${this.botUrl}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(activity),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
  }

  /** Sends a chat message; resolves with the messages the bot posted meanwhile. */
  async say(text: string): Promise<ConnectorCall[]> {
    const before = this.connector.calls.length;
    const result = await this.post(this.activity({ type: 'message', text }));
    if (result.status !== 200) throw new Error(`the bot answered ${result.status}`);
    // Replies only: not an update of an earlier card that lands meanwhile (the bot updates cards
    // after answering), nor the "typing" teams-ai sends when a turn takes over a second.
    return this.connector.calls
      .slice(before)
      .filter((c) => c.conversationId === this.conversationId && c.method === 'POST' && c.body['type'] !== 'typing');
  }

  /** Presses an Action.Execute button of the card posted as `cardActivityId`. */
  execute(verb: string, data: Record<string, unknown>, cardActivityId?: string): Promise<InvokeResult> {
    return this.post(
      this.activity({
        type: 'invoke',
        name: 'adaptiveCard/action',
        ...(cardActivityId ? { replyToId: cardActivityId } : {}),
        value: { action: { type: 'Action.Execute', verb, data }, trigger: 'manual' },
      }),
    );
  }

  /** Presses an Action.Submit button with msteams task/fetch: Teams asks the bot for a dialog. */
  taskFetch(data: Record<string, unknown>, cardActivityId?: string): Promise<InvokeResult> {
    return this.post(
      this.activity({
        type: 'invoke',
        name: 'task/fetch',
        ...(cardActivityId ? { replyToId: cardActivityId } : {}),
        value: { data, context: { theme: 'default' } },
      }),
    );
  }

  taskSubmit(data: Record<string, unknown>): Promise<InvokeResult> {
    return this.post(this.activity({ type: 'invoke', name: 'task/submit', value: { data } }));
  }
}

// ------------------------------------------------------------------ reading cards like a person

export type CardJson = Record<string, unknown>;

/** The Adaptive Card in a posted activity or an invoke response. */
/** A new message with a card that the bot posted (not a card update, not a typing indicator). */
export function isPostedCard(call: ConnectorCall): boolean {
  return call.method === 'POST' && Array.isArray(call.body['attachments']) && (call.body['attachments'] as unknown[]).length > 0;
}

export function cardOf(source: ConnectorCall | InvokeResult): CardJson {
  if ('method' in source) {
    const attachments = source.body['attachments'] as { content: CardJson }[] | undefined;
    const card = attachments?.[0]?.content;
    if (!card) throw new Error('the activity has no card');
    return card;
  }
  const value = source.body?.['value'] as CardJson | undefined;
  if (!value) throw new Error('the invoke response has no card');
  return value;
}

/** The card inside a task/fetch dialog response. */
export function dialogCardOf(result: InvokeResult): CardJson {
  const task = result.body?.['task'] as { type: string; value: { card: { content: CardJson } } } | undefined;
  if (task?.type !== 'continue') throw new Error(`no dialog opened: ${JSON.stringify(result.body)}`);
  return task.value.card.content;
}

/** Every text a person would read on the card (TextBlocks, FactSet facts, inputs' labels and values). */
export function textOf(card: unknown): string {
  const parts: string[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      const o = node as Record<string, unknown>;
      for (const key of ['text', 'title', 'value', 'label', 'placeholder']) if (typeof o[key] === 'string') parts.push(o[key] as string);
      Object.values(o).forEach(walk);
    }
  };
  walk(card);
  return parts.join('\n');
}

export interface CardButton {
  readonly type: string;
  readonly title: string;
  readonly verb: string | undefined;
  readonly data: Record<string, unknown>;
}

/** All buttons on a card, in order. */
export function buttonsOf(card: unknown): CardButton[] {
  const found: CardButton[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      const o = node as Record<string, unknown>;
      if (typeof o['type'] === 'string' && (o['type'] === 'Action.Execute' || o['type'] === 'Action.Submit')) {
        const data = (o['data'] ?? {}) as Record<string, unknown>;
        found.push({ type: o['type'], title: String(o['title'] ?? ''), verb: (o['verb'] as string | undefined) ?? (data['verb'] as string | undefined), data });
      }
      Object.values(o).forEach(walk);
    }
  };
  walk(card);
  return found;
}

export function button(card: unknown, title: RegExp, index = 0): CardButton {
  const matches = buttonsOf(card).filter((b) => title.test(b.title));
  const found = matches[index];
  if (!found) throw new Error(`no button ${title} on the card: ${buttonsOf(card).map((b) => b.title).join(', ')}`);
  return found;
}
