/** LDAP and socket failures mapped to the error catalog, by class and code, never by guessing. */
import {
  ConstraintViolationError,
  InsufficientAccessError,
  InvalidCredentialsError,
  NoSuchObjectError,
  ResultCodeError,
  StrongAuthRequiredError,
  UnwillingToPerformError,
} from 'ldapts';
import { AppError, type ErrorCode } from '../errors/catalog.js';
import { UNREACHABLE_SOCKET_CODES } from '../errors/network.js';

const TLS_ERROR_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_REVOKED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
]);


/** AD puts a hex code such as `0000052D` or `data 773` into the diagnostic message. */
export function adDataCode(error: unknown): string | undefined {
  const message = error instanceof Error ? error.message : '';
  return /\bdata ([0-9a-f]{3,8})\b/i.exec(message)?.[1]?.toLowerCase();
}

/** AD's own, readable reason from a constraint violation, without the leading hex code. */
export function adReason(error: Error): string {
  const text = error.message
    .replace(/\s*Code: 0x[0-9a-f]+\s*$/i, '') // ldapts appends the result code
    .replace(/^[0-9A-F]{8}:\s*/i, '')
    .replace(/^(Constraint violation|Unwilling to perform)\s*-\s*/i, '')
    .replace(/\s+/g, ' ')
    .trim();
  return text.slice(0, 300);
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function isTlsFailure(error: unknown): boolean {
  const code = errorCode(error);
  if (code && TLS_ERROR_CODES.has(code)) return true;
  return error instanceof Error && /certificate|self[- ]signed|\bTLS\b|\bSSL\b/i.test(error.message) && !(error instanceof ResultCodeError);
}

/** Maps anything thrown while talking to the directory. AppErrors pass through unchanged. */
export function toDirectoryError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof ConstraintViolationError) {
    // 0000052D: the password does not meet the policy; AD says why.
    return new AppError('DIRECTORY_POLICY_VIOLATION', { detail: adReason(error), cause: error });
  }
  if (error instanceof InsufficientAccessError) return new AppError('DIRECTORY_INSUFFICIENT_RIGHTS', { cause: error });
  if (error instanceof NoSuchObjectError) return new AppError('DIRECTORY_USER_NOT_FOUND', { cause: error });
  if (error instanceof StrongAuthRequiredError) return new AppError('DIRECTORY_TLS_FAILED', { cause: error });
  if (error instanceof UnwillingToPerformError && /0000052D|password/i.test(error.message)) {
    return new AppError('DIRECTORY_POLICY_VIOLATION', { detail: adReason(error), cause: error });
  }
  if (error instanceof InvalidCredentialsError) {
    // The service account's own bind failed: an operator problem, not the admin's.
    return new AppError('DIRECTORY_ERROR', { detail: 'service account sign-in refused', cause: error });
  }
  if (error instanceof ResultCodeError) return new AppError('DIRECTORY_ERROR', { cause: error });
  if (isTlsFailure(error)) return new AppError('DIRECTORY_TLS_FAILED', { cause: error });
  const code = errorCode(error);
  if ((code && UNREACHABLE_SOCKET_CODES.has(code)) || (error instanceof Error && /timeout|timed out|connect/i.test(error.message))) {
    return new AppError('DIRECTORY_UNREACHABLE', { cause: error });
  }
  return new AppError('DIRECTORY_ERROR', { cause: error });
}

/**
 * Maps a failed password modify. An answer from the directory (a result code) means the change was
 * not applied, and so does ldapts refusing to send on a connection that is already gone. Anything
 * else came after the request may have left this process (ldapts' "Operation timed out",
 * "Connection closed before message response was received", "Socket error", a TLS failure
 * mid-stream): the directory may still apply it, so nobody can say it failed.
 */
export function toModifyError(error: unknown): AppError {
  if (error instanceof AppError || error instanceof ResultCodeError) return toDirectoryError(error);
  const message = error instanceof Error ? error.message : '';
  if (/^Socket connection not established/.test(message)) return toDirectoryError(error);
  return new AppError('DIRECTORY_OUTCOME_UNKNOWN', { cause: error });
}

/** Maps a failed bind with a person's own credentials. */
export function toSignInError(error: unknown): AppError {
  if (error instanceof InvalidCredentialsError) {
    switch (adDataCode(error)) {
      case '773': // must change password at next logon
      case '532': // password expired
        return new AppError('AUTH_PASSWORD_MUST_CHANGE', { cause: error });
      case '533': // disabled
      case '701': // account expired
      case '775': // locked out
        return new AppError('AUTH_ACCOUNT_UNUSABLE', { cause: error });
      default: // 52e (wrong password), 525 (no such user): one answer, so names cannot be probed
        return new AppError('AUTH_INVALID_CREDENTIALS', { cause: error });
    }
  }
  return toDirectoryError(error);
}

/** AD's reasons for 0000052D, as Samba words them; Windows gives none, and then the generic refusal stays. */
const POLICY_REASONS: readonly [RegExp, ErrorCode][] = [
  [/too short/i, 'PASSWORD_TOO_SHORT'],
  [/too young/i, 'PASSWORD_TOO_YOUNG'],
  [/history|already used/i, 'PASSWORD_IN_HISTORY'],
  [/complexity/i, 'PASSWORD_NOT_COMPLEX'],
];

/**
 * Maps a failed password change or chosen-password set (the Password Change Portal): a wrong
 * current password (00000056) reads as wrong credentials, a policy refusal (0000052D) as the plain
 * reason; no answer is DIRECTORY_OUTCOME_UNKNOWN as for any password modify.
 */
export function toPasswordChangeError(error: unknown): AppError {
  if (error instanceof ConstraintViolationError || error instanceof UnwillingToPerformError) {
    const message = error.message;
    if (/\b00000056\b/i.test(message)) return new AppError('PORTAL_CREDENTIALS_INVALID', { cause: error });
    if (/\b0000052D\b/i.test(message) || error instanceof ConstraintViolationError) {
      const code = POLICY_REASONS.find(([pattern]) => pattern.test(message))?.[1] ?? 'DIRECTORY_POLICY_VIOLATION';
      return new AppError(code, { detail: adReason(error), cause: error });
    }
  }
  return toModifyError(error);
}
