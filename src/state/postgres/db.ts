/**
 * The connection pool and what every PostgreSQL store shares: error mapping to the catalog,
 * transactions, advisory-lock keys, and "now" (the database's clock unless a test injects one).
 */
import { createHash } from 'node:crypto';
import type { Pool, PoolClient, QueryResultRow } from 'pg';
import { AppError, type ErrorCode } from '../../errors/catalog.js';

/** Node socket errors that mean the server cannot be reached (or went away). */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
]);

/**
 * SQLSTATEs that mean "not usable right now", not "this statement is wrong": connection
 * exceptions (class 08), the server shutting down or starting (57P01–57P03), too many
 * connections, a wrong password or a missing database (a setting, or a rotated secret).
 */
function isUnavailableSqlState(code: string): boolean {
  return (
    code.startsWith('08') ||
    code === '57P01' ||
    code === '57P02' ||
    code === '57P03' ||
    code === '53300' ||
    code.startsWith('28') ||
    code === '3D000'
  );
}

/** node-postgres reports a lost or timed-out connection with plain Errors: these are their messages. */
const UNREACHABLE_MESSAGE =
  /Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|connection timeout/i;

/** Whether `error` says the database cannot be used right now (as opposed to a wrong statement). */
export function isUnavailable(error: unknown): boolean {
  if (error instanceof AggregateError && error.errors.some(isUnavailable)) return true; // several addresses tried
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (UNREACHABLE.has(code) || (/^[0-9A-Z]{5}$/.test(code) && isUnavailableSqlState(code)))) return true;
  const message = (error as { message?: unknown }).message;
  return typeof message === 'string' && UNREACHABLE_MESSAGE.test(message);
}

/**
 * The catalog error for a failure: an AppError passes through; a database that cannot be used is
 * STATE_UNAVAILABLE; anything else is `otherwise` (INTERNAL unless told). The driver's error is
 * kept as the cause, for the log; its message names no secret (never the URL).
 */
export function toAppError(error: unknown, otherwise: ErrorCode = 'INTERNAL'): AppError {
  if (error instanceof AppError) return error;
  return new AppError(isUnavailable(error) ? 'STATE_UNAVAILABLE' : otherwise, { cause: error });
}

/**
 * A 64-bit advisory-lock key (as a decimal string, for a `$n::bigint` parameter) for `name` in
 * `space`: the first 8 bytes of SHA-256, so that keys of different spaces do not meet by design.
 * Two names sharing a key by chance only wait for each other; no answer changes.
 */
export function lockKey(space: string, name: string): string {
  return createHash('sha256').update(`pwreset:${space}:${name}`, 'utf8').digest().readBigInt64BE(0).toString();
}

export type Clock = (() => Date) | undefined;

/**
 * The parameter for "now": null lets SQL use the database's clock (`coalesce($n::timestamptz,
 * now())`), so that every instance measures expiry and windows on one clock; tests inject one.
 */
export function nowParam(clock: Clock): Date | null {
  return clock ? clock() : null;
}

/**
 * A connection held by one caller. A connection that breaks while held but idle (between two
 * statements) emits 'error' on the client, which would crash the process without a listener:
 * the lease listens, remembers it, and then destroys the connection on release instead of
 * returning it to the pool.
 */
export interface Lease {
  readonly client: PoolClient;
  /** Back to the pool; destroyed when `broken` is given or the connection broke while held. */
  release(broken?: unknown): void;
}

export class Db {
  constructor(
    readonly pool: Pool,
    private readonly onLost: (error: Error) => void = () => undefined,
  ) {}

  /** One statement on any pooled connection; failures become catalog errors. */
  async query<R extends QueryResultRow>(text: string, values: unknown[] = [], otherwise: ErrorCode = 'INTERNAL'): Promise<{ rows: R[]; rowCount: number }> {
    try {
      const result = await this.pool.query<R>(text, values);
      return { rows: result.rows, rowCount: result.rowCount ?? 0 };
    } catch (error) {
      throw toAppError(error, otherwise);
    }
  }

  /**
   * Runs `work` in one transaction on one connection: COMMIT when it resolves, ROLLBACK when it
   * throws. A connection that failed is destroyed rather than returned to the pool.
   */
  async transaction<T>(work: (client: PoolClient) => Promise<T>, otherwise: ErrorCode = 'INTERNAL'): Promise<T> {
    const lease = await this.lease();
    let broken: unknown;
    try {
      await lease.client.query('BEGIN');
      const result = await work(lease.client);
      await lease.client.query('COMMIT');
      return result;
    } catch (error) {
      try {
        await lease.client.query('ROLLBACK');
      } catch (rollbackError) {
        broken = rollbackError;
      }
      if (isUnavailable(error)) broken ??= error;
      throw toAppError(error, otherwise);
    } finally {
      lease.release(broken);
    }
  }

  /** A connection of its own (the caller releases it); STATE_UNAVAILABLE when none can be made. */
  async lease(): Promise<Lease> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw toAppError(error);
    }
    let lost: Error | undefined;
    const onError = (error: Error): void => {
      lost ??= error;
      this.onLost(error);
    };
    client.on('error', onError);
    let released = false;
    return {
      client,
      release: (broken?: unknown) => {
        if (released) return;
        released = true;
        client.off('error', onError);
        const reason = lost ?? broken;
        client.release(reason === undefined || reason === null || reason === false ? undefined : reason instanceof Error ? reason : new Error('connection not reusable'));
      },
    };
  }
}
