/**
 * What every handler is given (the core, the stores, the logger), and the first checks made of a
 * caller before anything touches the directory.
 */
import { randomBytes } from 'node:crypto';
import type { NonceStore } from '../auth/nonce-store.js';
import type { SessionStore } from '../auth/session-store.js';
import type { SignInLimiter } from '../auth/sign-in-limiter.js';
import type { Tenant } from '../config/config.js';
import type { Core } from '../core.js';
import { AppError } from '../errors/catalog.js';
import type { Logger } from '../log/logger.js';
import type { PendingCommandStore } from '../state/chat.js';
import type { Caller } from './caller.js';
import * as cards from './cards.js';

export type Card = ReturnType<typeof cards.messageCard>;
export type TaskResponse = ReturnType<typeof cards.passwordDialog>;

export interface BotDeps {
  readonly core: Core;
  readonly sessions: SessionStore;
  readonly limiter: SignInLimiter;
  readonly nonces: NonceStore;
  /** A command typed before signing in, run once the admin has. */
  readonly pendingCommands: PendingCommandStore;
  readonly log: Logger;
  /** How long a card action may take before the bot answers "working…" and updates the card later. */
  readonly answerWithinMs: number;
  /** Every failed sign-in answers after at least this long. */
  readonly signInFailureMinMs: number;
}

/** A refusal or failure shown to the admin: catalog text plus a reference to find the log line. */
export function errorCard(deps: BotDeps, caller: Caller, error: unknown): Card {
  const appError = error instanceof AppError ? error : new AppError('INTERNAL', { cause: error });
  const reference = randomBytes(4).toString('hex');
  const cause = appError.cause instanceof Error ? { name: appError.cause.name, message: appError.cause.message } : undefined;
  const level = appError.code === 'INTERNAL' || appError.code.startsWith('DIRECTORY_') || appError.code.startsWith('MAIL_') ? 'error' : 'info';
  deps.log[level]({ code: appError.code, reference, detail: appError.detail, cause, teamsUser: caller.aadObjectId }, 'request refused or failed');
  return cards.messageCard(caller.language, { kind: 'error', text: appError.userMessage(caller.language), reference });
}

/** Environments this Teams tenant may reach. */
export function tenantsForCaller(deps: BotDeps, caller: Caller): Tenant[] {
  return deps.core.config.tenants.filter((t) => t.teamsTenantIds.some((id) => id.toLowerCase() === caller.teamsTenantId));
}

/** Refuses a Teams tenant that no environment lists, before anything touches the directory. */
export function assertCallerAllowed(deps: BotDeps, caller: Caller): void {
  if (!caller.personal) throw new AppError('PERSONAL_CHAT_ONLY');
  if (tenantsForCaller(deps, caller).length === 0) throw new AppError('TEAMS_TENANT_NOT_ALLOWED');
}

