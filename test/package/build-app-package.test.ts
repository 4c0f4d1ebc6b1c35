import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  AppPackageError,
  buildAppPackage,
  validateAppPackage,
  validateManifestSchema,
  type BuildAppPackageOptions,
} from '../../src/package/build-app-package.js';
import { PNG } from 'pngjs';
import {
  BOT_DOMAIN,
  BOT_ID,
  makeProject,
  REPO_APP_PACKAGE,
  REPO_DIR,
  REPO_VERSION,
  removeTempDirs,
  solidPng,
  TEAMS_APP_ID,
  tempDir,
} from './helpers.js';

const ENV = { BOT_ID, TEAMS_APP_ID, BOT_DOMAIN };
const BLUE: [number, number, number, number] = [0x1f, 0x5f, 0xad, 255];
const WHITE: [number, number, number, number] = [255, 255, 255, 255];

/** Runs the build and returns its AppPackageError (failing the test when there is none). */
async function failure(options: BuildAppPackageOptions): Promise<AppPackageError> {
  try {
    await buildAppPackage(options);
  } catch (error) {
    expect(error).toBeInstanceOf(AppPackageError);
    return error as AppPackageError;
  }
  throw new Error('expected the build to fail');
}

// The validation must work with no network: any fetch fails the test.
const fetchSpy = vi.fn(async () => {
  throw new Error('network access during packaging');
});
beforeEach(() => {
  fetchSpy.mockClear();
  vi.stubGlobal('fetch', fetchSpy);
});
afterEach(() => {
  vi.unstubAllGlobals();
  expect(fetchSpy).not.toHaveBeenCalled();
});
afterAll(removeTempDirs);

describe('buildAppPackage with the repository appPackage/', () => {
  it('writes a zip whose manifest passes the schema, with every placeholder filled and the right icons', async () => {
    const outFile = join(tempDir(), 'nested', 'appPackage.zip');
    const result = await buildAppPackage({ rootDir: REPO_DIR, env: ENV, outFile });

    expect(result.zipPath).toBe(outFile);
    expect(existsSync(outFile)).toBe(true);
    expect(result.notes).toEqual([]);

    const entries = unzipSync(readFileSync(outFile));
    expect(Object.keys(entries).sort()).toEqual(['color.png', 'manifest.json', 'outline.png']);
    const text = strFromU8(entries['manifest.json']!);
    expect(text).not.toContain('${{');
    const manifest = JSON.parse(text) as Record<string, unknown>;
    expect(manifest).toEqual(JSON.parse(JSON.stringify(result.manifest)));

    expect(await validateManifestSchema(manifest)).toEqual([]);
    const { 'manifest.json': _, ...icons } = entries;
    expect(await validateAppPackage({ manifest, files: icons }, REPO_VERSION)).toEqual([]);

    expect(manifest['version']).toBe(REPO_VERSION);
    expect(manifest['id']).toBe(TEAMS_APP_ID);
    expect(manifest['manifestVersion']).toBe('1.30');
    expect(manifest['$schema']).toBe('https://developer.microsoft.com/en-us/json-schemas/teams/v1.30/MicrosoftTeams.schema.json');
    expect(manifest['validDomains']).toEqual([BOT_DOMAIN]);
    const bots = manifest['bots'] as Array<Record<string, unknown>>;
    expect(bots).toHaveLength(1);
    expect(bots[0]).toMatchObject({ botId: BOT_ID, scopes: ['personal'], supportsFiles: false, isNotificationOnly: false });
    const lists = bots[0]!['commandLists'] as Array<{ scopes: string[]; commands: Array<{ title: string; description: string }> }>;
    expect(lists.map((l) => l.scopes)).toEqual([['personal']]);
    expect(lists[0]!.commands.map((c) => c.title)).toEqual([
      'help', 'list', 'find', 'reset', 'mail', 'env', 'history', 'signin', 'signout',
    ]);
    for (const command of lists[0]!.commands) expect(command.description.length).toBeGreaterThan(5);

    // The icons are the committed files, byte for byte.
    for (const name of ['color.png', 'outline.png']) {
      expect(Buffer.from(entries[name]!).equals(readFileSync(join(REPO_APP_PACKAGE, name)))).toBe(true);
    }
  });

  it('uses BOT_ID as the Teams app id when TEAMS_APP_ID is not set, and says so', async () => {
    const log = vi.fn();
    const result = await buildAppPackage({
      rootDir: REPO_DIR,
      env: { BOT_ID, BOT_DOMAIN, TEAMS_APP_ID: '' },
      outFile: join(tempDir(), 'a.zip'),
      log,
    });
    expect(result.manifest.id).toBe(BOT_ID);
    expect(log).toHaveBeenCalledWith(expect.stringContaining('TEAMS_APP_ID is not set'));
    expect(result.notes).toHaveLength(1);
  });

  it('gives the same bytes for the same inputs', async () => {
    const dir = tempDir();
    const a = await buildAppPackage({ rootDir: REPO_DIR, env: ENV, outFile: join(dir, 'a.zip') });
    const b = await buildAppPackage({ rootDir: REPO_DIR, env: ENV, outFile: join(dir, 'b.zip') });
    expect(readFileSync(a.zipPath).equals(readFileSync(b.zipPath))).toBe(true);
  });
});

describe('settings', () => {
  it('names a missing BOT_ID, and writes nothing', async () => {
    const outFile = join(tempDir(), 'a.zip');
    const error = await failure({ rootDir: REPO_DIR, env: { BOT_DOMAIN }, outFile });
    expect(error.code).toBe('ENV_INVALID');
    expect(error.messages).toEqual([expect.stringMatching(/^BOT_ID: is required/)]);
    expect(error.message).toContain('BOT_ID');
    expect(existsSync(outFile)).toBe(false);
  });

  it('names each malformed setting without echoing its value or any other variable', async () => {
    const secret = 'Sup3r-Secret-Bot-Password';
    const error = await failure({
      rootDir: REPO_DIR,
      env: {
        BOT_ID: 'not-a-guid-xyz',
        TEAMS_APP_ID: '1234',
        BOT_DOMAIN: 'https://bot.example.net/api/messages',
        BOT_PASSWORD: secret,
        LDAP_BIND_PASSWORD: secret,
      },
      outFile: join(tempDir(), 'a.zip'),
    });
    expect(error.code).toBe('ENV_INVALID');
    expect(error.messages.map((m) => m.split(':')[0])).toEqual(['BOT_ID', 'TEAMS_APP_ID', 'BOT_DOMAIN']);
    expect(error.message).toContain('GUID');
    expect(error.message).toContain('without a scheme');
    for (const value of [secret, 'not-a-guid-xyz', '1234', 'api/messages', 'BOT_PASSWORD', 'LDAP']) {
      expect(error.message).not.toContain(value);
    }
  });

  it.each([
    ['bot.example.net/api', 'without a path'],
    ['bot.example.net:443', 'without a port'],
    ['localhost', 'DNS host name'],
    ['10.0.0.1', 'DNS host name'],
    ['-bad.example.net', 'DNS host name'],
  ])('refuses BOT_DOMAIN %s', async (domain, expected) => {
    const error = await failure({ rootDir: REPO_DIR, env: { BOT_ID, BOT_DOMAIN: domain }, outFile: join(tempDir(), 'a.zip') });
    expect(error.messages).toEqual([expect.stringContaining(expected)]);
    expect(error.messages[0]).toMatch(/^BOT_DOMAIN: /);
  });

  it('refuses a package.json version that Teams does not accept', async () => {
    const rootDir = makeProject({ version: '1.0.0-beta.1' });
    const error = await failure({ rootDir, env: ENV, outFile: join(rootDir, 'a.zip') });
    expect(error.code).toBe('PACKAGE_JSON_INVALID');
    expect(error.messages[0]).toContain('MAJOR.MINOR.PATCH');
  });
});

describe('validation of a broken package', () => {
  it('fails with the schema message when manifestVersion is removed, and writes nothing', async () => {
    const rootDir = makeProject({ manifest: (m) => delete m['manifestVersion'] });
    const outFile = join(rootDir, 'build', 'appPackage.zip');
    const error = await failure({ rootDir, env: ENV, outFile });
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.messages).toContainEqual(expect.stringContaining("must have required property 'manifestVersion'"));
    expect(existsSync(outFile)).toBe(false);
  });

  it('fails with the schema message for a bot id of the wrong type', async () => {
    const rootDir = makeProject({
      manifest: (m) => {
        (m['bots'] as Array<Record<string, unknown>>)[0]!['botId'] = 12345;
      },
    });
    const error = await failure({ rootDir, env: ENV, outFile: join(rootDir, 'a.zip') });
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.messages).toContainEqual(expect.stringMatching(/^manifest\.json\/bots\/0\/botId must be string/));
  });

  it('refuses a $schema that is not bundled instead of fetching it', async () => {
    const rootDir = makeProject({
      manifest: (m) => {
        m['$schema'] = 'https://developer.microsoft.com/json-schemas/teams/v1.99/MicrosoftTeams.schema.json';
      },
    });
    const error = await failure({ rootDir, env: ENV, outFile: join(rootDir, 'a.zip') });
    expect(error.messages).toEqual([expect.stringContaining('cannot be checked offline')]);
  });

  it('refuses a hard-coded version that is not semver', async () => {
    const rootDir = makeProject({ manifest: (m) => (m['version'] = '1.0') });
    const error = await failure({ rootDir, env: ENV, outFile: join(rootDir, 'a.zip') });
    expect(error.messages).toEqual([expect.stringContaining('"version" must be MAJOR.MINOR.PATCH')]);
  });

  it('refuses a hard-coded version that differs from package.json', async () => {
    const rootDir = makeProject({ manifest: (m) => (m['version'] = '9.9.9') });
    const error = await failure({ rootDir, env: ENV, outFile: join(rootDir, 'a.zip') });
    expect(error.messages).toEqual([expect.stringContaining(`but package.json says ${REPO_VERSION}`)]);
  });

  it('names a placeholder it does not fill', async () => {
    const rootDir = makeProject({ manifest: (m) => (m['packageName'] = '${{PACKAGE_NAME}}') });
    const error = await failure({ rootDir, env: ENV, outFile: join(rootDir, 'a.zip') });
    expect(error.code).toBe('TEMPLATE_INVALID');
    expect(error.messages).toEqual([expect.stringContaining('${{PACKAGE_NAME}}')]);
  });

  it('fails on a colour icon of the wrong size', async () => {
    const rootDir = makeProject({ files: { 'color.png': solidPng(100, 100, BLUE) } });
    const error = await failure({ rootDir, env: ENV, outFile: join(rootDir, 'a.zip') });
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.messages).toEqual(['color.png is 100×100: it must be 192×192 pixels']);
  });

  it('fails on an outline icon of the wrong size', async () => {
    const rootDir = makeProject({ files: { 'outline.png': solidPng(48, 48, WHITE) } });
    const error = await failure({ rootDir, env: ENV, outFile: join(rootDir, 'a.zip') });
    expect(error.messages).toEqual(['outline.png is 48×48: it must be 32×32 pixels']);
  });

  it('fails on an outline icon that is not white on transparent', async () => {
    const rootDir = makeProject({ files: { 'outline.png': solidPng(32, 32, BLUE) } });
    const error = await failure({ rootDir, env: ENV, outFile: join(rootDir, 'a.zip') });
    expect(error.messages).toEqual([
      'outline.png must be white (#FFFFFF) on transparent: 1024 visible pixel(s) are not white, the first at x=0, y=0',
      'outline.png has no transparent pixels: the background must be transparent',
    ]);
  });

  it('fails on an outline icon without transparency, even when white', async () => {
    const rootDir = makeProject({ files: { 'outline.png': solidPng(32, 32, WHITE, false) } });
    const error = await failure({ rootDir, env: ENV, outFile: join(rootDir, 'a.zip') });
    expect(PNG.sync.read(readFileSync(join(rootDir, 'appPackage', 'outline.png'))).alpha).toBe(false);
    expect(error.messages).toEqual([
      'outline.png has no transparency: it must be white (#FFFFFF) on a transparent background',
    ]);
  });

  it('fails on an icon that is not a PNG, or missing', async () => {
    const rootDir = makeProject({
      files: { 'color.png': new TextEncoder().encode('GIF89a not a png') },
      manifest: (m) => ((m['icons'] as Record<string, string>)['outline'] = 'missing.png'),
    });
    const error = await failure({ rootDir, env: ENV, outFile: join(rootDir, 'a.zip') });
    expect(error.messages).toContain('color.png is not a valid PNG file');
    expect(error.messages).toContainEqual(expect.stringContaining('missing.png (icons.outline) is missing'));
  });
});
