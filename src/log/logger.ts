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
