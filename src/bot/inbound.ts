/**
 * Checks on what arrives at POST /api/messages before the Bot Framework SDK sees it: the body is
 * JSON of a bounded size, the Activity has the shape the SDK and teams-ai dereference, and the
 * Authorization header looks like a live Bot Framework JWT. Each check answers a reason code for
 * the log, never the offending value.
 */
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';

export const MAX_ACTIVITY_BYTES = 256 * 1024;

export type BodyRefusal = 'content-type' | 'content-encoding' | 'too-large' | 'not-json';

/** `application/json` or `application/…+json`, any parameters (Teams sends `; charset=utf-8`). */
function isJsonMediaType(contentType: string | undefined): boolean {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type);
}

/**
 * Reads and parses the request body itself (restify's body parser answers malformed JSON with its
 * own error text). A JSON content type is required: in local mode it is what keeps a web page from
 * posting a "simple" cross-origin request (text/plain needs no CORS preflight).
 */
export async function readJsonBody(req: IncomingMessage, maxBytes = MAX_ACTIVITY_BYTES): Promise<{ ok: true; value: unknown } | { ok: false; reason: BodyRefusal }> {
  if (!isJsonMediaType(req.headers['content-type'])) return { ok: false, reason: 'content-type' };
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity') return { ok: false, reason: 'content-encoding' };
  const declared = Number(req.headers['content-length'] ?? 0);
  if (Number.isFinite(declared) && declared > maxBytes) return { ok: false, reason: 'too-large' };
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) return { ok: false, reason: 'too-large' };
      chunks.push(chunk);
    }
  } catch {
    return { ok: false, reason: 'not-json' };
  }
  try {
    return { ok: true, value: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown };
  } catch {
    return { ok: false, reason: 'not-json' };
  }
}

const text = z.string().max(4096);
const account = z.object({ id: text.min(1), aadObjectId: text.nullish(), name: text.nullish() }).passthrough();

/**
 * What the code between the HTTP request and our handlers dereferences:
 * - botbuilder's CloudAdapter: `type` (a string; it throws on anything else), `serviceUrl`
 *   (connector client), `channelId` and `serviceUrl` (token validation), the timestamps (parsed
 *   as dates when strings), `deliveryMode`;
 * - teams-ai's `TurnState.load`: `channelId`, `recipient.id`, `conversation.id` and `from.id` for
 *   every turn (it throws without them), `TurnContext.removeRecipientMention`: `recipient.id`
 *   and every `entities[i].type`;
 * - routing: `name`, `text`, `membersAdded[].id`, `value` (handlers validate `value` themselves).
 * Teams sends all of the required fields on every activity. Anything else passes through; the
 * body's size limit bounds the lists.
 */
export const inboundActivitySchema = z
  .object({
    type: z.string().min(1).max(64),
    id: text.nullish(),
    name: text.nullish(),
    text: z.string().max(64 * 1024).nullish(),
    channelId: text.min(1),
    serviceUrl: z
      .string()
      .max(2048)
      .url()
      .refine((url) => /^https?:\/\//i.test(url), 'http or https'),
    conversation: z.object({ id: text.min(1), conversationType: text.nullish(), tenantId: text.nullish() }).passthrough(),
    from: account,
    recipient: account,
    replyToId: text.nullish(),
    locale: text.nullish(),
    deliveryMode: text.nullish(),
    timestamp: text.nullish(),
    localTimestamp: text.nullish(),
    expiration: text.nullish(),
    channelData: z.record(z.unknown()).optional(),
    entities: z.array(z.object({ type: text }).passthrough()).optional(),
    attachments: z.array(z.record(z.unknown())).optional(),
    membersAdded: z.array(account).optional(),
    membersRemoved: z.array(account).optional(),
  })
  .passthrough();

export type InboundActivity = z.infer<typeof inboundActivitySchema>;

/** Dotted paths of the fields that failed (no values), for the log. */
export function failedFields(error: z.ZodError): string[] {
  return [...new Set(error.issues.map((issue) => issue.path.join('.') || '(body)'))].slice(0, 8);
}

export type HeaderRefusal = 'no-authorization' | 'malformed-authorization' | 'expired-token';

const JWT = /^Bearer ([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/;
const jwtHeader = z.object({ alg: z.string(), kid: z.string().optional() }).passthrough();
const jwtPayload = z.object({ exp: z.number() }).passthrough();
/** The SDK's own clock tolerance for Bot Framework channel tokens (ChannelValidation: 5 min). */
const CLOCK_TOLERANCE_S = 5 * 60;

function decodeJson(segment: string): unknown {
  try {
    return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * A cheap look at the header before the SDK's verification: refuses what cannot be a live Bot
 * Framework token without touching the network. It verifies nothing: a token that passes still
 * goes through the SDK's signature, issuer, audience and serviceUrl checks. Expired tokens are
 * refused here because the SDK prints a stack trace for each one (`console.error` in
 * JwtTokenExtractor) before answering 401.
 */
export function screenAuthorization(header: string | undefined, nowMs = Date.now()): HeaderRefusal | null {
  if (!header?.trim()) return 'no-authorization';
  const match = header.length <= 8192 ? JWT.exec(header) : null;
  if (!match) return 'malformed-authorization';
  const head = jwtHeader.safeParse(decodeJson(match[1] ?? ''));
  const payload = jwtPayload.safeParse(decodeJson(match[2] ?? ''));
  if (!head.success || !payload.success) return 'malformed-authorization';
  if (nowMs / 1000 >= payload.data.exp + CLOCK_TOLERANCE_S) return 'expired-token';
  return null;
}

export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/** `work`, or a TimeoutError after `ms`; `work` keeps running and its late failure is swallowed. */
export function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  work.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`no answer within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
