/**
 * Card buttons as single-use confirmations: each Reset or Mail password button carries a nonce
 * bound to the Teams user, admin, environment, employee and purpose it was shown for (see
 * nonce-store.ts). Using one that does not fit is refused and audited.
 */
import type { AuditLog } from '../audit/audit-log.js';
import { AppError } from '../errors/catalog.js';
import type { ActingAdmin, Requester } from './acting-admin.js';
import type { NonceBinding, NonceStore } from './nonce-store.js';

export function bindingFor(who: Requester, acting: ActingAdmin, targetGuid: string, purpose: NonceBinding['purpose']): NonceBinding {
  return {
    teamsTenantId: who.teamsTenantId,
    aadObjectId: who.aadObjectId,
    adminDn: acting.session.admin.dn,
    tenantKey: acting.tenant.key,
    targetGuid,
    purpose,
  };
}

/** One confirmation per employee shown, all written at once. */
export function issueConfirmations(nonces: NonceStore, who: Requester, acting: ActingAdmin, targetGuids: readonly string[], purpose: NonceBinding['purpose']): Promise<string[]> {
  return nonces.issue(targetGuids.map((guid) => bindingFor(who, acting, guid, purpose)));
}

/** Uses the confirmation once; throws CARD_ALREADY_USED, CARD_EXPIRED or CARD_NOT_VALID (audited) otherwise. */
export async function useConfirmation(
  deps: { nonces: NonceStore; audit: AuditLog },
  who: Requester,
  acting: ActingAdmin,
  nonce: string,
  targetGuid: string,
  purpose: NonceBinding['purpose'],
): Promise<void> {
  const result = await deps.nonces.consume(nonce, bindingFor(who, acting, targetGuid, purpose));
  if (result === 'ok') return;
  const code = result === 'used' ? 'CARD_ALREADY_USED' : result === 'expired' ? 'CARD_EXPIRED' : 'CARD_NOT_VALID';
  await deps.audit.record({
    environment: acting.tenant.key,
    admin: { dn: acting.admin.identity.dn, upn: acting.admin.identity.upn, teamsId: who.aadObjectId },
    target: { dn: null, sam: null, guid: targetGuid },
    action: purpose === 'mail' ? 'mail' : purpose === 'unlock' ? 'unlock' : 'reset',
    outcome: 'refused',
    errorCode: code,
  });
  throw new AppError(code);
}
