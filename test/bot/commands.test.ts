import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../src/bot/commands.js';

describe('commands typed in the chat', () => {
  it.each([
    ['help', { name: 'help' }],
    ['HULP', { name: 'help' }],
    ['list', { name: 'list', page: 1, asked: 1 }],
    ['Lijst 3', { name: 'list', page: 3, asked: 3 }],
    ['list zero', { name: 'list', page: 1, asked: 1 }],
    ['list 99', { name: 'list', page: 50, asked: 99 }],
    ['status jmus', { name: 'status', user: 'jmus' }],
    ['unlock Joman Mus', { name: 'unlock', user: 'Joman Mus' }],
    ['Ontgrendel jmus', { name: 'unlock', user: 'jmus' }],
    ['ontgrendel', { name: 'incomplete', command: 'unlock' }],
    ['status', { name: 'incomplete', command: 'status' }],
    ['find mus', { name: 'find', text: 'mus' }],
    ['zoek Joman Mus', { name: 'find', text: 'Joman Mus' }],
    ['reset jmus', { name: 'reset', user: 'jmus' }],
    ['RESET  Joman   Mus', { name: 'reset', user: 'Joman Mus' }],
    ['<at>Password Reset</at> reset jmus', { name: 'reset', user: 'jmus' }],
    ['mail jmus', { name: 'mail', user: 'jmus' }],
    ['mail jmus prive@example.org', { name: 'mail', user: 'jmus', address: 'prive@example.org' }],
    ['mail jmus prive@example.org EN', { name: 'mail', user: 'jmus', address: 'prive@example.org', language: 'en' }],
    ['mail Joman Mus nl', { name: 'mail', user: 'Joman Mus', language: 'nl' }],
    ['signin', { name: 'signin' }],
    ['aanmelden', { name: 'signin' }],
    ['afmelden', { name: 'signout' }],
    ['env', { name: 'env' }],
    ['omgeving Acme', { name: 'env', environment: 'Acme' }],
    ['history', { name: 'history', page: 1 }],
    ['geschiedenis jmus', { name: 'history', user: 'jmus', page: 1 }],
    ['history 2', { name: 'history', page: 2 }],
    ['history Joman Mus 3', { name: 'history', user: 'Joman Mus', page: 3 }],
    ['reset', { name: 'incomplete', command: 'reset' }],
    ['hello there', { name: 'unknown', word: 'hello', text: 'hello there' }],
  ])('reads %j', (text, command) => {
    expect(parseCommand(text)).toEqual(command);
  });
});
