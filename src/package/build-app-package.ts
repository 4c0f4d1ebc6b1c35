/// <reference path="./pngjs.d.ts" />
/**
 * Builds the Teams app package (build/appPackage.zip) from appPackage/: fills the manifest's
 * `${{NAME}}` placeholders, validates the result offline against the official Teams schema that
 * @microsoft/app-manifest bundles, checks the version and the icons, and zips manifest.json and the
 * two icons at the root. It needs only BOT_ID, BOT_DOMAIN and optionally TEAMS_APP_ID: no
 * directory or mail settings (it does not read src/config).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { AppManifestUtils, type AppManifest, type TeamsManifest } from '@microsoft/app-manifest';
import { strToU8, zipSync, type Zippable } from 'fflate';
import { PNG, type PngImage } from 'pngjs';
import { z } from 'zod';

export type AppPackageErrorCode = 'ENV_INVALID' | 'PACKAGE_JSON_INVALID' | 'TEMPLATE_INVALID' | 'VALIDATION_FAILED';

const HEADLINES: Readonly<Record<AppPackageErrorCode, string>> = {
  ENV_INVALID: 'The app package settings are not valid (set them in the environment or in .env):',
  PACKAGE_JSON_INVALID: 'package.json cannot give the app version:',
  TEMPLATE_INVALID: 'appPackage/manifest.json cannot be filled in:',
  VALIDATION_FAILED: 'The app package does not pass validation:',
};

/** Why no package was written. `messages` are one problem each, fit to print; none holds a secret. */
export class AppPackageError extends Error {
  readonly code: AppPackageErrorCode;
  readonly messages: readonly string[];
  constructor(code: AppPackageErrorCode, messages: string[]) {
    super(`${HEADLINES[code]}\n${messages.map((m) => `  - ${m}`).join('\n')}`);
    this.name = 'AppPackageError';
    this.code = code;
    this.messages = messages;
  }
}

export type Environment = Readonly<Record<string, string | undefined>>;

export interface BuildAppPackageOptions {
  /** Holds package.json (for the version) and, unless `appPackageDir` says otherwise, appPackage/. */
  readonly rootDir: string;
  /** Read for BOT_ID, TEAMS_APP_ID and BOT_DOMAIN only. Empty values count as unset. */
  readonly env: Environment;
  /** Default: `<rootDir>/build/appPackage.zip`. */
  readonly outFile?: string;
  /** Default: `<rootDir>/appPackage`. */
  readonly appPackageDir?: string;
  /** Receives notes such as "TEAMS_APP_ID is not set: using BOT_ID". */
  readonly log?: (line: string) => void;
}

export interface BuildAppPackageResult {
  readonly zipPath: string;
  readonly manifest: TeamsManifest;
  /** The entries of the zip, in order. */
  readonly files: readonly string[];
  readonly bytes: number;
  readonly notes: readonly string[];
}

export const ICON_SIZES = { color: 192, outline: 32 } as const;

// ---------------------------------------------------------------------------------------------
// Settings

const GUID = /^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$/;
const HOST = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

const guidSetting = (what: string) =>
  z
    .string({ required_error: `is required: ${what}, a GUID` })
    .trim()
    .regex(GUID, { message: `must be a GUID such as 00000000-0000-0000-0000-000000000000 (${what})` });

function hostProblem(value: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return 'must be a host name only, without a scheme such as https://';
  if (value.includes('/')) return 'must be a host name only, without a path';
  if (value.includes(':')) return 'must be a host name only, without a port';
  if (!HOST.test(value.toLowerCase())) return 'must be a DNS host name such as bot.example.com';
  return undefined;
}

const settingsSchema = z.object({
  BOT_ID: guidSetting("the Azure Bot registration's Microsoft App ID"),
  TEAMS_APP_ID: guidSetting('the Teams app id').optional(),
  BOT_DOMAIN: z
    .string({ required_error: "is required: the host name of the bot's messaging endpoint, e.g. bot.example.com" })
    .trim()
    .superRefine((value, ctx) => {
      const problem = hostProblem(value);
      if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
    })
    .transform((value) => value.toLowerCase()),
});

export const PACKAGE_SETTINGS = ['BOT_ID', 'TEAMS_APP_ID', 'BOT_DOMAIN'] as const;

export interface PackageSettings {
  readonly botId: string;
  readonly teamsAppId: string;
  readonly botDomain: string;
  /** True when TEAMS_APP_ID was not set and BOT_ID stands in for it. */
  readonly teamsAppIdDefaulted: boolean;
}

/** Validates the three settings; throws ENV_INVALID naming each bad one, never echoing a value. */
export function readPackageSettings(env: Environment): PackageSettings {
  const present: Record<string, string> = {};
  for (const key of PACKAGE_SETTINGS) {
    const value = env[key];
    if (value !== undefined && value.trim() !== '') present[key] = value;
  }
  const parsed = settingsSchema.safeParse(present);
  if (!parsed.success) {
    throw new AppPackageError(
      'ENV_INVALID',
      parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
    );
  }
  const { BOT_ID, TEAMS_APP_ID, BOT_DOMAIN } = parsed.data;
  return { botId: BOT_ID, teamsAppId: TEAMS_APP_ID ?? BOT_ID, botDomain: BOT_DOMAIN, teamsAppIdDefaulted: !TEAMS_APP_ID };
}

// ---------------------------------------------------------------------------------------------
// Version

/** What Teams accepts as an app version: MAJOR.MINOR.PATCH, no pre-release or build suffix. */
const TEAMS_SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;

export function isTeamsVersion(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 256 && TEAMS_SEMVER.test(value);
}

export function readPackageVersion(rootDir: string): string {
  let pkg: unknown;
  try {
    pkg = JSON.parse(readFileSync(join(rootDir, 'package.json'), 'utf8'));
  } catch (error) {
    const reason = error instanceof SyntaxError ? 'is not valid JSON' : `cannot be read in ${rootDir}`;
    throw new AppPackageError('PACKAGE_JSON_INVALID', [`package.json ${reason}`]);
  }
  const version = (pkg as { version?: unknown } | null)?.version;
  if (version === undefined) throw new AppPackageError('PACKAGE_JSON_INVALID', ['package.json has no "version"']);
  if (!isTeamsVersion(version)) {
    throw new AppPackageError('PACKAGE_JSON_INVALID', [
      'package.json "version" must be MAJOR.MINOR.PATCH such as 1.4.0 (Teams accepts no pre-release or build suffix)',
    ]);
  }
  return version;
}

// ---------------------------------------------------------------------------------------------
// Placeholders

const PLACEHOLDER = /\$\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** Replaces `${{NAME}}` in every string value of the parsed template; returns the names it did not know. */
export function fillPlaceholders(
  template: unknown,
  values: Readonly<Record<string, string>>,
): { readonly filled: unknown; readonly unknown: readonly string[] } {
  const unknownNames = new Set<string>();
  const walk = (node: unknown): unknown => {
    if (typeof node === 'string') {
      return node.replace(PLACEHOLDER, (match, name: string) => {
        const value = values[name];
        if (value === undefined) {
          unknownNames.add(name);
          return match;
        }
        return value;
      });
    }
    if (Array.isArray(node)) return node.map(walk);
    if (node && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, walk(value)]));
    }
    return node;
  };
  const filled = walk(template);
  return { filled, unknown: [...unknownNames] };
}

// ---------------------------------------------------------------------------------------------
// Validation

const requireFromHere = createRequire(import.meta.url);
const APP_MANIFEST_DIR = dirname(requireFromHere.resolve('@microsoft/app-manifest/package.json'));
const TEAMS_SCHEMA_URL =
  /^https:\/\/developer\.microsoft\.com\/(?:[a-z]{2}(?:-[a-z]{2})?\/)?json-schemas\/teams\/(v\d+\.\d+|vDevPreview)\/MicrosoftTeams\.schema\.json$/i;

/**
 * The bundled copy of a Teams manifest schema URL, or undefined when @microsoft/app-manifest does
 * not ship it. (Its own lookup would then fetch the URL from the internet: we never let it.)
 */
export function bundledSchemaFile(schemaUrl: unknown): string | undefined {
  if (typeof schemaUrl !== 'string') return undefined;
  const match = TEAMS_SCHEMA_URL.exec(schemaUrl);
  if (!match) return undefined;
  const file = join(APP_MANIFEST_DIR, 'build', 'json-schemas', 'teams', match[1]!, 'MicrosoftTeams.schema.json');
  return existsSync(file) ? file : undefined;
}

const schemaCache = new Map<string, object>();

function loadSchema(file: string): object {
  let schema = schemaCache.get(file);
  if (!schema) {
    // The same clean-up as AppManifestUtils.fetchSchema: some schemas hold \a and \v escapes.
    const raw = readFileSync(file, 'utf8').replace(/\\a/g, '\\u0007').replace(/\\v/g, '\\u000b');
    schema = JSON.parse(raw) as object;
    schemaCache.set(file, schema);
  }
  return schema;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Validates a manifest against the official Teams schema named by its `$schema`, offline: the
 * schema is read from @microsoft/app-manifest's bundled copy and handed to
 * `AppManifestUtils.validateAgainstSchema`, so no URL is fetched. Returns the schema's messages,
 * each prefixed with `manifest.json` and the JSON path; empty when valid.
 */
export async function validateManifestSchema(manifest: unknown): Promise<string[]> {
  if (!isRecord(manifest)) return ['manifest.json must be a JSON object'];
  const schemaUrl = manifest['$schema'];
  if (typeof schemaUrl !== 'string') {
    return ['manifest.json has no "$schema": it must name the official Teams schema, e.g. https://developer.microsoft.com/json-schemas/teams/v1.30/MicrosoftTeams.schema.json'];
  }
  const file = bundledSchemaFile(schemaUrl);
  if (!file) {
    return [
      `manifest.json "$schema" ${schemaUrl} is not a Teams manifest schema bundled with @microsoft/app-manifest, so it cannot be checked offline`,
    ];
  }
  const schema = loadSchema(file);
  const errors = await AppManifestUtils.validateAgainstSchema(
    manifest as unknown as AppManifest,
    schema as Parameters<typeof AppManifestUtils.validateAgainstSchema>[1],
  );
  // Each message starts with the JSON path ("" for the root), e.g. "/bots/0/botId must be string. Details: …".
  return errors.map((message) => `manifest.json${message}`);
}

/** The icon decoded, or why it cannot be. */
function decodeIcon(name: string, bytes: Uint8Array): PngImage | string {
  try {
    return PNG.sync.read(Buffer.from(bytes));
  } catch {
    return `${name} is not a valid PNG file`;
  }
}

function checkIconSize(name: string, image: PngImage, size: number): string[] {
  const { width, height } = image;
  return width === size && height === size ? [] : [`${name} is ${width}×${height}: it must be ${size}×${size} pixels`];
}

/** The outline icon: only white (#FFFFFF) pixels, with any alpha, on a transparent background. */
function checkOutlinePixels(name: string, image: PngImage): string[] {
  if (!image.alpha) return [`${name} has no transparency: it must be white (#FFFFFF) on a transparent background`];
  const { width, data } = image;
  let visible = 0;
  let transparent = 0;
  let notWhite = 0;
  let first: string | undefined;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] === 0) {
      transparent++;
      continue;
    }
    visible++;
    if (data[i] !== 255 || data[i + 1] !== 255 || data[i + 2] !== 255) {
      notWhite++;
      const pixel = i / 4;
      first ??= `x=${pixel % width}, y=${Math.floor(pixel / width)}`;
    }
  }
  const problems: string[] = [];
  if (notWhite > 0) {
    problems.push(`${name} must be white (#FFFFFF) on transparent: ${notWhite} visible pixel(s) are not white, the first at ${first}`);
  }
  if (visible === 0) problems.push(`${name} is fully transparent: it must show a white symbol`);
  if (transparent === 0) problems.push(`${name} has no transparent pixels: the background must be transparent`);
  return problems;
}

const ICON_FILE = /^[A-Za-z0-9_-][A-Za-z0-9._-]*\.png$/;

export interface AppPackageContent {
  readonly manifest: unknown;
  /** The other files of the package by name, e.g. color.png and outline.png. */
  readonly files: Readonly<Record<string, Uint8Array>>;
}

/** The icon file names the manifest names, or messages saying why they are unusable. */
function iconNames(manifest: unknown): { color?: string; outline?: string; problems: string[] } {
  const icons = isRecord(manifest) ? manifest['icons'] : undefined;
  const result: { color?: string; outline?: string; problems: string[] } = { problems: [] };
  if (!isRecord(icons)) return result; // the schema reports it
  for (const role of ['color', 'outline'] as const) {
    const name = icons[role];
    if (typeof name !== 'string') continue; // the schema reports it
    if (!ICON_FILE.test(name)) {
      result.problems.push(`manifest.json icons.${role} must be a .png file name at the package root, such as ${role}.png`);
    } else {
      result[role] = name;
    }
  }
  return result;
}

/**
 * Everything the packager checks, on the content of a package: the schema, the version (semver as
 * Teams wants it, and equal to `expectedVersion` when given), and the icons (sizes; the outline
 * white on transparent). Returns the problems; empty when the package is good.
 */
export async function validateAppPackage(content: AppPackageContent, expectedVersion?: string): Promise<string[]> {
  const { manifest, files } = content;
  const problems = await validateManifestSchema(manifest);

  const version = isRecord(manifest) ? manifest['version'] : undefined;
  if (version !== undefined) {
    if (!isTeamsVersion(version)) {
      problems.push('manifest.json "version" must be MAJOR.MINOR.PATCH such as 1.4.0 (Teams accepts no pre-release or build suffix)');
    } else if (expectedVersion !== undefined && version !== expectedVersion) {
      problems.push(`manifest.json "version" is ${version} but package.json says ${expectedVersion}: use \${{APP_VERSION}}`);
    }
  }

  const icons = iconNames(manifest);
  problems.push(...icons.problems);
  for (const role of ['color', 'outline'] as const) {
    const name = icons[role];
    if (name === undefined) continue;
    const bytes = files[name];
    if (!bytes) {
      problems.push(`${name} (icons.${role}) is missing: it must sit beside manifest.json`);
      continue;
    }
    const image = decodeIcon(name, bytes);
    if (typeof image === 'string') {
      problems.push(image);
      continue;
    }
    const sizeProblems = checkIconSize(name, image, ICON_SIZES[role]);
    problems.push(...sizeProblems);
    if (role === 'outline' && sizeProblems.length === 0) problems.push(...checkOutlinePixels(name, image));
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// The build

/** Fixed entry times make the zip reproducible: the same inputs give the same bytes. */
const ZIP_MTIME = new Date(2000, 0, 1, 0, 0, 0);

export async function buildAppPackage(options: BuildAppPackageOptions): Promise<BuildAppPackageResult> {
  const rootDir = resolve(options.rootDir);
  const appPackageDir = resolve(options.appPackageDir ?? join(rootDir, 'appPackage'));
  const zipPath = resolve(options.outFile ?? join(rootDir, 'build', 'appPackage.zip'));
  const notes: string[] = [];
  const note = (line: string) => {
    notes.push(line);
    options.log?.(line);
  };

  const settings = readPackageSettings(options.env);
  const version = readPackageVersion(rootDir);
  if (settings.teamsAppIdDefaulted) {
    note('TEAMS_APP_ID is not set: the Teams app id is BOT_ID. Keep it the same for every later package, or Teams sees a different app.');
  }

  let template: unknown;
  try {
    template = JSON.parse(readFileSync(join(appPackageDir, 'manifest.json'), 'utf8'));
  } catch (error) {
    const reason = error instanceof SyntaxError ? `is not valid JSON (${error.message})` : `cannot be read from ${appPackageDir}`;
    throw new AppPackageError('TEMPLATE_INVALID', [`manifest.json ${reason}`]);
  }
  const { filled: manifest, unknown } = fillPlaceholders(template, {
    BOT_ID: settings.botId,
    TEAMS_APP_ID: settings.teamsAppId,
    BOT_DOMAIN: settings.botDomain,
    APP_VERSION: version,
  });
  const templateProblems = unknown.map(
    (name) => `manifest.json uses \${{${name}}}, which the packager does not fill (it fills BOT_ID, TEAMS_APP_ID, BOT_DOMAIN, APP_VERSION)`,
  );
  if (templateProblems.length === 0 && JSON.stringify(manifest).includes('${{')) {
    templateProblems.push('manifest.json still holds "${{" after filling: a placeholder is malformed (write ${{NAME}})');
  }
  if (templateProblems.length > 0) throw new AppPackageError('TEMPLATE_INVALID', templateProblems);

  const icons = iconNames(manifest);
  const files: Record<string, Uint8Array> = {};
  for (const name of [icons.color, icons.outline]) {
    if (name === undefined || files[name] || !existsSync(join(appPackageDir, name))) continue; // reported as missing
    files[name] = readFileSync(join(appPackageDir, name));
  }

  const problems = await validateAppPackage({ manifest, files }, version);
  if (problems.length > 0) throw new AppPackageError('VALIDATION_FAILED', problems);

  const manifestBytes = strToU8(`${JSON.stringify(manifest, null, 2)}\n`);
  const entries: Zippable = { 'manifest.json': [manifestBytes, { level: 9, mtime: ZIP_MTIME }] };
  for (const [name, bytes] of Object.entries(files)) entries[name] = [bytes, { level: 0, mtime: ZIP_MTIME }];
  const zip = zipSync(entries);

  mkdirSync(dirname(zipPath), { recursive: true });
  const temp = `${zipPath}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, zip);
    renameSync(temp, zipPath);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }

  return { zipPath, manifest: manifest as TeamsManifest, files: Object.keys(entries), bytes: zip.length, notes };
}
