/**
 * The HTTP side: restify with POST /api/messages (Bot Framework; the JWT is verified by the SDK
 * unless the dangerous local switch is on) and GET /healthz (liveness: the process answers; readiness is /readyz).
 *
 * /api/messages does what botbuilder's CloudAdapter.process does, in our own order and with our
 * own answers: CloudAdapter.process prints every error with `console.error` (a stack trace per
 * request), answers with the SDK's error text in the body, and answers 500 for a body whose `type`
 * is not a string, for a token whose signing keys cannot be fetched and for a bad signature
 * (jsonwebtoken's error is rethrown as is). Here every refusal is one warn log line with a code
 * and an answer without detail:
 *   415/413/400 body not JSON, too large, or not an Activity of the shape the SDK dereferences;
 *   403 a non-local request in unauthenticated local mode;
 *   401 any failure to verify the Bot Framework token, including unreachable signing keys and a
 *       verification that takes too long;
 *   503 too many verifications already waiting (see MAX_PENDING_AUTH).
 * Only an activity whose authentication succeeded reaches the adapter's processActivity.
 */
import type { AddressInfo } from 'node:net';
import restify from 'restify';
import type { Activity, InvokeResponse, TurnContext } from 'botbuilder';
import type { Application } from '@microsoft/teams-ai/lib/Application.js';
import type { TeamsAdapter } from '@microsoft/teams-ai/lib/TeamsAdapter.js';
import type { TurnState } from '@microsoft/teams-ai/lib/TurnState.js';
import type { Config } from '../config/config.js';
import type { Logger } from '../log/logger.js';
import { isLoopback } from '../util/loopback.js';
import { failedFields, inboundActivitySchema, readJsonBody, screenAuthorization, TimeoutError, withTimeout } from './inbound.js';
import { RECEIVED_AT } from './in-time.js';

export const MESSAGES_PATH = '/api/messages';

/**
 * How long the SDK may take to verify a token. With cached signing keys it takes about a
 * millisecond; it takes longer only when it fetches Microsoft's OpenID metadata and keys
 * (node-fetch without a timeout, once a day, and again on every request while that fails).
 * Teams wants an answer to an invoke within a few seconds.
 *
 * A timeout is answered 401, like unreachable keys, not 503: a 503 would be more candid about
 * whose fault it is, but the request's origin is unproven either way, and answering an
 * unauthenticated caller differently for "could not check" than for "checked, refused" tells a
 * forger when our key fetching is down. The operator reads the difference in the log
 * (`reason: 'timeout'` or `'verification-error'` with the error's code, e.g. ENOTFOUND).
 * The abandoned verification runs on: when it succeeds, the SDK caches the keys for the next
 * request.
 */
export const AUTH_TIMEOUT_MS = 5000;
/**
 * Verifications still running (including ones already answered by the timeout). Beyond this the
 * endpoint answers 503 at once: a flood of forged tokens while the metadata host hangs would
 * otherwise open one outbound connection each. This is load shedding, not a verdict on the token.
 */
export const MAX_PENDING_AUTH = 32;

export interface BotServer {
  readonly server: restify.Server;
  /** http://host:port, as listening. */
  readonly url: string;
  close(): Promise<void>;
}

export interface ServerParts {
  readonly config: Config;
  readonly adapter: TeamsAdapter;
  readonly app: Application<TurnState>;
  readonly log: Logger;
  /** Extra routes (the local playground), added before listening. */
  readonly extend?: (server: restify.Server) => void;
}

/** Host header and serviceUrl both name this machine. */
function isLocalRequest(hostHeader: string | undefined, serviceUrl: unknown): boolean {
  try {
    const host = new URL(`http://${hostHeader ?? ''}`).hostname;
    const service = typeof serviceUrl === 'string' ? new URL(serviceUrl).hostname : '';
    return isLoopback(host) && isLoopback(service);
  } catch {
    return false;
  }
}

/**
 * The protected members of botbuilder's CloudAdapterBase that CloudAdapter.process itself uses:
 * the configured authentication, and processActivity, which accepts the result of a verification
 * made beforehand (the overload the SDK's streaming and named-pipe paths use).
 */
interface AdapterInternals {
  readonly botFrameworkAuthentication: { authenticateRequest(activity: Activity, authHeader: string): Promise<object> };
  processActivity(authenticated: object, activity: Activity, logic: (context: TurnContext) => Promise<void>): Promise<InvokeResponse | undefined>;
}

function internalsOf(adapter: TeamsAdapter): AdapterInternals {
  const internals = adapter as unknown as Partial<AdapterInternals>;
  if (typeof internals.processActivity !== 'function' || typeof internals.botFrameworkAuthentication?.authenticateRequest !== 'function') {
    throw new Error('botbuilder changed: CloudAdapterBase lacks processActivity or botFrameworkAuthentication');
  }
  return adapter as unknown as AdapterInternals;
}

/** What botbuilder's validateAndFixActivity does after its type check: timestamps become dates. */
function withDates(parsed: object): Activity {
  const activity = parsed as Record<string, unknown>;
  for (const [field, raw] of [
    ['timestamp', 'rawTimestamp'],
    ['expiration', 'rawExpiration'],
    ['localTimestamp', 'rawLocalTimestamp'],
  ] as const) {
    const value = activity[field];
    if (typeof value === 'string') {
      activity[raw] = value;
      activity[field] = new Date(value);
    }
  }
  return activity as unknown as Activity;
}

/** The log fields for a failed verification: a reason, the error's class and errno code; never its message (it can quote token claims). */
function authFailure(error: unknown): Record<string, unknown> {
  if (error instanceof TimeoutError) return { reason: 'timeout', timeoutMs: AUTH_TIMEOUT_MS };
  const e = (error ?? {}) as { name?: unknown; statusCode?: unknown; code?: unknown };
  const name = typeof e.name === 'string' ? e.name : 'unknown';
  // AuthenticationError with 401, or jsonwebtoken's errors (bad signature, not yet valid, ...).
  const refused = e.statusCode === 401 || ['JsonWebTokenError', 'NotBeforeError', 'TokenExpiredError'].includes(name);
  const code = typeof e.code === 'string' && /^[A-Z_]{1,32}$/.test(e.code) ? e.code : undefined;
  return { reason: refused ? 'token-refused' : 'verification-error', error: name, ...(code ? { errorCode: code } : {}) };
}

export async function startServer(parts: ServerParts, port = parts.config.bot.port): Promise<BotServer> {
  const { config, adapter, app, log } = parts;
  const server = restify.createServer({ name: 'password-reset-bot', handleUncaughtExceptions: false });
  // /api/messages reads its own body (restify's parser answers bad JSON with its error text).
  for (const parse of restify.plugins.bodyParser({ maxBodySize: 256 * 1024, mapParams: false })) {
    server.use((req, res, next) => (req.getRoute()?.path === MESSAGES_PATH ? next() : parse(req, res, next)));
  }

  const internals = internalsOf(adapter);
  let pendingAuth = 0;

  /** One warn line, and an answer with no body. */
  const refuse = (res: restify.Response, status: number, code: string, fields: Record<string, unknown>, message: string) => {
    log.warn({ code, status, ...fields }, message);
    // Unread request bytes would otherwise be drained to keep the connection alive.
    if (status === 413) res.header('connection', 'close');
    res.status(status);
    res.end();
  };

  server.post(MESSAGES_PATH, async (req, res) => {
    const receivedAt = Date.now();
    const body = await readJsonBody(req);
    if (!body.ok) {
      const status = body.reason === 'too-large' ? 413 : body.reason === 'not-json' ? 400 : 415;
      refuse(res, status, 'BAD_ACTIVITY', { reason: body.reason }, 'refused a request body');
      return;
    }
    const parsed = inboundActivitySchema.safeParse(body.value);
    if (!parsed.success) {
      refuse(res, 400, 'BAD_ACTIVITY', { reason: 'shape', fields: failedFields(parsed.error) }, 'refused a malformed activity');
      return;
    }
    // Local mode checks no token: accept only what a local client on this machine sends (no DNS
    // rebinding from a web page, no replies to a service URL elsewhere).
    if (config.bot.unauthenticated && !isLocalRequest(req.headers.host, parsed.data.serviceUrl)) {
      log.warn({ code: 'NOT_LOCAL_REQUEST' }, 'refused a non-local request in unauthenticated mode');
      res.send(403, { error: 'only local requests in unauthenticated mode' });
      return;
    }
    const activity = withDates(parsed.data);

    // Authentication. In local mode the SDK's check is off (no app id) and answers at once.
    const authorization = req.headers.authorization ?? '';
    if (!config.bot.unauthenticated) {
      const screened = screenAuthorization(authorization);
      if (screened) {
        refuse(res, 401, 'BOT_AUTH_REFUSED', { reason: screened }, 'refused a request without a valid Bot Framework token');
        return;
      }
    }
    if (pendingAuth >= MAX_PENDING_AUTH) {
      refuse(res, 503, 'BOT_AUTH_BUSY', { pending: pendingAuth }, 'too many token verifications waiting; refused a request');
      return;
    }
    pendingAuth++;
    const attempt = internals.botFrameworkAuthentication.authenticateRequest(activity, authorization);
    attempt.then(
      () => pendingAuth--,
      () => pendingAuth--,
    );
    let authenticated: object;
    try {
      authenticated = await withTimeout(attempt, AUTH_TIMEOUT_MS);
    } catch (error) {
      refuse(res, 401, 'BOT_AUTH_REFUSED', authFailure(error), 'refused a request without a valid Bot Framework token');
      return;
    }

    let invokeResponse: InvokeResponse | undefined;
    try {
      invokeResponse = await internals.processActivity(authenticated, activity, async (context) => {
        context.turnState.set(RECEIVED_AT, receivedAt);
        await app.run(context);
      });
    } catch (error) {
      // onTurnError has handled (and logged) what the handlers threw; this is what it rethrew.
      const { name, message } = error instanceof Error ? error : new Error(String(error));
      log.error({ code: 'TURN_PROCESSING_FAILED', err: { name, message } }, 'an authenticated activity could not be processed');
      res.status(500);
      res.end();
      return;
    }
    res.header('User-Agent', adapter.userAgent);
    res.status(invokeResponse?.status ?? 200);
    if (invokeResponse?.body) res.send(invokeResponse.body);
    res.end();
  });

  // Liveness: the process answers. Nothing else is asked (readiness is /readyz, src/bot/readiness.ts).
  server.get('/healthz', async (_req, res) => {
    res.send(200, { status: 'ok' });
  });

  parts.extend?.(server);

  server.on('restifyError', (req, res, error, callback) => {
    const status = (error as { statusCode?: number }).statusCode ?? res.statusCode;
    log.warn({ code: 'HTTP_ERROR', method: req.method, path: req.getPath(), status, name: error.name }, 'request failed');
    callback();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, config.bot.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.address}:${address.port}`;
  if (config.bot.unauthenticated) {
    log.warn({ code: 'UNAUTHENTICATED_MODE', url }, 'DANGEROUSLY_ALLOW_UNAUTHENTICATED is on: requests are not checked to come from Teams; listening on loopback only');
  }
  log.info({ code: 'LISTENING', url }, 'bot listening');
  return {
    server,
    url,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
