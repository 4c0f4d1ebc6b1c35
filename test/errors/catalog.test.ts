import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors/catalog.js';

describe('what an admin reads of an error', () => {
  it('keeps directory jargon of a protected account (adminCount, groups) out of the sentence; the log keeps it', () => {
    const error = new AppError('TARGET_PROTECTED', { detail: 'adminCount' });
    expect(error.userMessage('en')).toBe('That account is protected: it cannot be reset or unlocked here.');
    expect(error.userMessage('nl')).not.toMatch(/adminCount/);
    expect(error.detail).toBe('adminCount');
  });

  it('still adds a detail the admin can act on (the directory policy reason)', () => {
    expect(new AppError('DIRECTORY_POLICY_VIOLATION', { detail: 'too short' }).userMessage('en')).toMatch(/\(too short\)$/);
  });
});
