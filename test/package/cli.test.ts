/**
 * The real CLI end to end: compile it with the settings of tsconfig.build.json (as `npm run package`
 * does, but into a temp dir so the repository's dist/ is left alone), then run `node …/cli.js` in a
 * temp project.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOT_DOMAIN, BOT_ID, makeProject, REPO_DIR, REPO_VERSION, removeTempDirs, TEAMS_APP_ID, tempDir } from './helpers.js';

let cli: string;

beforeAll(() => {
  const out = tempDir('app-package-build-');
  // Beside dist/: ESM like the repo, and the repo's node_modules for @microsoft/app-manifest, fflate, zod.
  writeFileSync(join(out, 'package.json'), '{"type":"module"}');
  symlinkSync(join(REPO_DIR, 'node_modules'), join(out, 'node_modules'), 'dir');
  // The repo's build settings, limited to the packager's own import graph, so work in progress
  // elsewhere in src/ cannot break this test.
  writeFileSync(
    join(out, 'tsconfig.json'),
    JSON.stringify({
      extends: join(REPO_DIR, 'tsconfig.build.json'),
      compilerOptions: { rootDir: REPO_DIR, outDir: join(out, 'dist') },
      include: [],
      files: [join(REPO_DIR, 'src/package/cli.ts')],
    }),
  );
  execFileSync(process.execPath, [join(REPO_DIR, 'node_modules/typescript/bin/tsc'), '-p', join(out, 'tsconfig.json')], {
    cwd: REPO_DIR,
    stdio: 'pipe',
  });
  cli = join(out, 'dist', 'src', 'package', 'cli.js');
}, 60_000);
afterAll(removeTempDirs);

function run(cwd: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli], { cwd, env: { PATH: process.env['PATH'] ?? '', ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('npm run package (the built CLI)', () => {
  it('builds build/appPackage.zip from .env, the environment winning', async () => {
    const project = makeProject();
    writeFileSync(
      join(project, '.env'),
      [
        '# Bot registration',
        `BOT_ID="${BOT_ID}"`,
        `TEAMS_APP_ID=${TEAMS_APP_ID} # Teams app`,
        'BOT_DOMAIN=overridden.example.org',
        'BOT_PASSWORD="not-read-by-the-packager"',
      ].join('\n'),
    );
    const result = await run(project, { BOT_DOMAIN });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const zipPath = join(project, 'build', 'appPackage.zip');
    expect(result.stdout).toContain(`Teams app package written: ${zipPath}`);
    expect(result.stdout).toContain(`Password Reset ${REPO_VERSION}, manifest v1.30`);
    expect(result.stdout).not.toContain('not-read-by-the-packager');

    const entries = unzipSync(readFileSync(zipPath));
    expect(Object.keys(entries).sort()).toEqual(['color.png', 'manifest.json', 'outline.png']);
    const manifest = JSON.parse(strFromU8(entries['manifest.json']!)) as Record<string, unknown>;
    expect(manifest['id']).toBe(TEAMS_APP_ID);
    expect(manifest['validDomains']).toEqual([BOT_DOMAIN]);
  });

  it('exits 1 naming the missing setting, and writes nothing', async () => {
    const project = makeProject();
    mkdirSync(join(project, 'build'));
    const result = await run(project, { BOT_DOMAIN, LDAP_BIND_PASSWORD: 'Very-Secret-1' });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('BOT_ID: is required');
    expect(result.stderr).not.toContain('Very-Secret-1');
    expect(result.stderr).not.toContain('LDAP_BIND_PASSWORD');
    expect(existsSync(join(project, 'build', 'appPackage.zip'))).toBe(false);
  });

  it('exits 1 with the schema message for a broken manifest', async () => {
    const project = makeProject({ manifest: (m) => delete m['manifestVersion'] });
    const result = await run(project, { BOT_ID, BOT_DOMAIN });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('The app package does not pass validation');
    expect(result.stderr).toContain("must have required property 'manifestVersion'");
  });

  it('exits 1 naming a malformed .env line', async () => {
    const project = makeProject();
    writeFileSync(join(project, '.env'), `BOT_ID=${BOT_ID}\nBOT_PASSWORD "hunter2"\n`);
    const result = await run(project, { BOT_DOMAIN });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('.env line 2: is not NAME=value');
    expect(result.stderr).not.toContain('hunter2');
  });
});
