/**
 * pino, shaped for grep: one JSON line per event with `code` and `msg`. Secrets are redacted by
 * path as a second line of defence; the first is that no code hands a password to the logger.
 */
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

export const REDACTED_PATHS = [
  'password',
  '*.password',
  'temporaryPassword',
  '*.temporaryPassword',
  'bindPassword',
  '*.bindPassword',
  'req.headers.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'value.password',
  'value.action.data.password',
  'activity.value.action.data.password',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { app: 'password-reset-bot' },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

/** What a logged error looks like: the catalog code and the cause's class and message, no stack for the chat. */
export function errorFields(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { error: String(error) };
  const cause = error.cause instanceof Error ? { name: error.cause.name, message: error.cause.message, code: (error.cause as { code?: unknown }).code } : undefined;
  return { code: (error as { code?: unknown }).code, err: { name: error.name, message: error.message, stack: error.stack }, cause };
}
