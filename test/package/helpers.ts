/** Temp copies of the app package sources, so a test can break one without touching the repo. */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';

export const REPO_DIR = fileURLToPath(new URL('../../', import.meta.url));
export const REPO_APP_PACKAGE = join(REPO_DIR, 'appPackage');
export const REPO_VERSION = (JSON.parse(readFileSync(join(REPO_DIR, 'package.json'), 'utf8')) as { version: string }).version;

export const BOT_ID = '6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b';
export const TEAMS_APP_ID = '0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d';
export const BOT_DOMAIN = 'pwreset-bot.example.net';

const created: string[] = [];

export function tempDir(prefix = 'app-package-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export interface ProjectOptions {
  /** Changes the parsed manifest template before it is written. */
  readonly manifest?: (template: Record<string, unknown>) => void;
  readonly version?: string;
  /** Replaces icons by name. */
  readonly files?: Readonly<Record<string, Uint8Array>>;
}

/** A temp project: package.json with a version, and a copy of appPackage/, optionally changed. */
export function makeProject(options: ProjectOptions = {}): string {
  const root = tempDir();
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'x', version: options.version ?? REPO_VERSION }));
  const app = join(root, 'appPackage');
  mkdirSync(app);
  cpSync(REPO_APP_PACKAGE, app, { recursive: true });
  if (options.manifest) {
    const template = JSON.parse(readFileSync(join(app, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    options.manifest(template);
    writeFileSync(join(app, 'manifest.json'), JSON.stringify(template, null, 2));
  }
  for (const [name, bytes] of Object.entries(options.files ?? {})) writeFileSync(join(app, name), bytes);
  return root;
}

/** A PNG of one colour, `rgba` as [r, g, b, a]; `alpha: false` writes it without an alpha channel. */
export function solidPng(width: number, height: number, rgba: readonly [number, number, number, number], alpha = true): Buffer {
  const png = new PNG({ width, height });
  for (let i = 0; i < png.data.length; i += 4) png.data.set(rgba, i);
  return PNG.sync.write(png, { colorType: alpha ? 6 : 2 });
}
