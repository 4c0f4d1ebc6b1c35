/**
 * `npm run package`: builds build/appPackage.zip in the current directory from appPackage/,
 * with BOT_ID, BOT_DOMAIN and TEAMS_APP_ID (optional: defaults to BOT_ID) from the environment or
 * ./.env (the environment wins). Exit code 0 with a summary, or 1 with the problems.
 */
import { join, relative } from 'node:path';
import { AppPackageError, buildAppPackage } from './build-app-package.js';
import { DotEnvError, readEnvironment } from '../config/environment.js';

async function main(argv: readonly string[]): Promise<number> {
  if (argv.length > 0) {
    console.error('usage: npm run package   (reads BOT_ID, TEAMS_APP_ID, BOT_DOMAIN from the environment or .env)');
    return 1;
  }
  const cwd = process.cwd();
  try {
    const env = readEnvironment(join(cwd, '.env'));
    const result = await buildAppPackage({
      rootDir: cwd,
      env,
      outFile: join(cwd, 'build', 'appPackage.zip'),
      log: (line) => console.log(`note: ${line}`),
    });
    const { manifest } = result;
    const bot = manifest.bots?.[0];
    const commands = bot?.commandLists?.flatMap((list) => list.commands.map((c) => c.title)) ?? [];
    console.log(`Teams app package written: ${result.zipPath} (${result.bytes} bytes)`);
    console.log(`  files     ${result.files.join(', ')}`);
    console.log(`  app       ${manifest.name.short} ${manifest.version}, manifest v${manifest.manifestVersion}, valid against the bundled schema`);
    console.log(`  app id    ${manifest.id}`);
    console.log(`  bot id    ${bot?.botId ?? '(none)'}, scopes ${bot?.scopes.join(', ') ?? '-'}`);
    console.log(`  domains   ${(manifest.validDomains ?? []).join(', ')}`);
    console.log(`  commands  ${commands.join(', ')}`);
    console.log(`Upload ${relative(cwd, result.zipPath)} in Teams (Apps > Manage your apps > Upload an app) or the Teams admin center.`);
    return 0;
  } catch (error) {
    if (error instanceof AppPackageError || error instanceof DotEnvError) {
      console.error(error.message);
    } else {
      console.error(`Building the app package failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
