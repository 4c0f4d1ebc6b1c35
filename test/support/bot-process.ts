/**
 * The bot as a process of its own (`node dist/src/index.js`, built by `npm test` before the suite):
 * for what only a process shows — kill -9 mid-burst, two instances on one store.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

const INDEX = fileURLToPath(new URL('../../dist/src/index.js', import.meta.url));

export interface BotProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Every line it wrote (JSON log lines and anything else). */
  readonly output: string[];
  /** Resolves with the exit code or signal. */
  readonly exited: Promise<number | string | null>;
  stop(signal?: NodeJS.Signals): Promise<number | string | null>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Starts the bot with these settings; resolves once it listens (or rejects with its output). */
export async function startBotProcess(env: Record<string, string>, timeoutMs = 30_000): Promise<BotProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--disable-warning=DEP0111', INDEX], {
    env: { PATH: process.env['PATH'] ?? '', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  const listening = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the bot did not listen within ${timeoutMs} ms:\n${output.join('\n')}`)), timeoutMs);
    const onLine = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        output.push(line);
        if (line.includes('"code":"LISTENING"')) {
          clearTimeout(timer);
          resolve();
        }
      }
    };
    child.stdout?.on('data', onLine);
    child.stderr?.on('data', onLine);
    void exited.then((how) => {
      clearTimeout(timer);
      reject(new Error(`the bot exited (${String(how)}) before it listened:\n${output.join('\n')}`));
    });
  });
  await listening;
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    output,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
