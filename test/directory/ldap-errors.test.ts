import { ConstraintViolationError, InsufficientAccessError, InvalidCredentialsError, NoSuchObjectError, StrongAuthRequiredError } from 'ldapts';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors/catalog.js';
import { toDirectoryError, toSignInError } from '../../src/directory/ldap-errors.js';

function withCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('directory errors in the catalog', () => {
  it.each([
    [new ConstraintViolationError('0000052D: Constraint violation - check_password_restrictions: the password is too short. It should be equal or longer than 30 characters!'), 'DIRECTORY_POLICY_VIOLATION'],
    [new InsufficientAccessError('00002098: Object was not found or insufficient rights'), 'DIRECTORY_INSUFFICIENT_RIGHTS'],
    [new NoSuchObjectError('0000208D: no such object'), 'DIRECTORY_USER_NOT_FOUND'],
    [new StrongAuthRequiredError('BindSimple: Transport encryption required.'), 'DIRECTORY_TLS_FAILED'],
    [withCode('unable to verify the first certificate', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'), 'DIRECTORY_TLS_FAILED'],
    [withCode("Hostname/IP does not match certificate's altnames", 'ERR_TLS_CERT_ALTNAME_INVALID'), 'DIRECTORY_TLS_FAILED'],
    [withCode('connect ECONNREFUSED 127.0.0.1:636', 'ECONNREFUSED'), 'DIRECTORY_UNREACHABLE'],
    [new Error('Connection timeout after 10000ms'), 'DIRECTORY_UNREACHABLE'],
  ])('maps %s', (error, code) => {
    const mapped = toDirectoryError(error);
    expect(mapped).toBeInstanceOf(AppError);
    expect(mapped.code).toBe(code);
    expect(mapped.cause).toBe(error);
  });

  it("keeps AD's own reason for a policy refusal, without the hex code", () => {
    const mapped = toDirectoryError(new ConstraintViolationError('0000052D: Constraint violation - check_password_restrictions: the password is too short.'));
    expect(mapped.detail).toBe('check_password_restrictions: the password is too short.');
  });

  it.each([
    ['80090308: LdapErr: DSID-0C09042A, comment: AcceptSecurityContext error, data 52e, v3839', 'AUTH_INVALID_CREDENTIALS'],
    ['80090308: LdapErr: DSID-0C09042A, comment: AcceptSecurityContext error, data 525, v3839', 'AUTH_INVALID_CREDENTIALS'],
    ['80090308: LdapErr: DSID-0C09042A, comment: AcceptSecurityContext error, data 773, v3839', 'AUTH_PASSWORD_MUST_CHANGE'],
    ['80090308: LdapErr: DSID-0C09042A, comment: AcceptSecurityContext error, data 533, v3839', 'AUTH_ACCOUNT_UNUSABLE'],
    ['80090308: LdapErr: DSID-0C09042A, comment: AcceptSecurityContext error, data 775, v3839', 'AUTH_ACCOUNT_UNUSABLE'],
  ])('maps a failed sign-in "%s"', (message, code) => {
    expect(toSignInError(new InvalidCredentialsError(message)).code).toBe(code);
  });
});
