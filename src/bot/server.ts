/**
 * The HTTP side: restify with POST /api/messages (Bot Framework, JWT checked by the adapter unless
 * the dangerous local switch is on) and GET /healthz (directory and mail server reachable).
 */
import type { AddressInfo } from 'node:net';
import restify from 'restify';
import type { Application, TeamsAdapter, TurnState } from '@microsoft/teams-ai';
import type { Config } from '../config/config.js';
import type { Core } from '../core.js';
import type { Logger } from '../log/logger.js';

export interface BotServer {
  readonly server: restify.Server;
  /** http://host:port, as listening. */
  readonly url: string;
  close(): Promise<void>;
}

export interface ServerParts {
  readonly config: Config;
  readonly core: Core;
  readonly adapter: TeamsAdapter;
  readonly app: Application<TurnState>;
  readonly log: Logger;
  /** Extra routes (the local playground), added before listening. */
  readonly extend?: (server: restify.Server) => void;
}

function isLoopbackName(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Host header and serviceUrl both name this machine. */
function isLocalRequest(hostHeader: string | undefined, serviceUrl: unknown): boolean {
  try {
    const host = new URL(`http://${hostHeader ?? ''}`).hostname;
    const service = typeof serviceUrl === 'string' ? new URL(serviceUrl).hostname : '';
    return isLoopbackName(host) && isLoopbackName(service);
  } catch {
    return false;
  }
}

async function check(work: () => Promise<void>): Promise<'ok' | 'unreachable'> {
  try {
    await work();
    return 'ok';
  } catch {
    return 'unreachable';
  }
}

export async function startServer(parts: ServerParts, port = parts.config.bot.port): Promise<BotServer> {
  const { config, core, adapter, app, log } = parts;
  const server = restify.createServer({ name: 'password-reset-bot', handleUncaughtExceptions: false });
  server.use(restify.plugins.bodyParser({ maxBodySize: 256 * 1024, mapParams: false }));

  server.post('/api/messages', async (req, res) => {
    // Local mode checks no token: accept only what a local client on this machine sends (no DNS
    // rebinding from a web page, no replies to a service URL elsewhere).
    if (config.bot.unauthenticated && !isLocalRequest(req.headers.host, (req.body as { serviceUrl?: unknown } | undefined)?.serviceUrl)) {
      log.warn({ code: 'NOT_LOCAL_REQUEST' }, 'refused a non-local request in unauthenticated mode');
      res.send(403, { error: 'only local requests in unauthenticated mode' });
      return;
    }
    await adapter.process(req, res, async (context) => {
      await app.run(context);
    });
  });

  server.get('/healthz', async (_req, res) => {
    const [directory, mail] = await Promise.all([check(() => core.directory.ping()), check(() => core.mailer.verify())]);
    const healthy = directory === 'ok' && mail === 'ok';
    res.send(healthy ? 200 : 503, { status: healthy ? 'ok' : 'degraded', directory, mail });
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
