import { describe, expect, it } from 'vitest';
import { isLoopback } from '../../src/util/loopback.js';

describe('isLoopback', () => {
  it.each(['localhost', 'LOCALHOST', '127.0.0.1', '127.31.7.200', '::1', '[::1]', '::ffff:127.0.0.1', '[::ffff:7f00:1]'])(
    'accepts %s',
    (host) => expect(isLoopback(host)).toBe(true),
  );

  it.each(['', undefined, '128.0.0.1', '10.0.0.1', '::ffff:10.0.0.1', '::2', 'localhost.evil.example', '127.0.0.1.nip.io', '127.1'])(
    'refuses %s',
    (host) => expect(isLoopback(host)).toBe(false),
  );
});
