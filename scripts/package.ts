/**
 * `npm run package` — builds the Teams app package build/appPackage.zip from manifest/:
 * fills the `${{PLACEHOLDER}}`s in manifest/manifest.json from the environment, validates the result
 * offline against the Teams manifest schema bundled in @microsoft/app-manifest, checks the icons,
 * and zips manifest.json + color.png + outline.png (at the zip root, as Teams expects).
 *
 * Environment (defaults are for local use and are reported as warnings):
 *   TEAMS_APP_ID    the Teams app's own id (GUID)            default 00000000-0000-0000-0000-000000000004
 *   BOT_ID          the bot's Microsoft App ID (GUID)        default MICROSOFT_APP_ID, else the Playground bot id
 *   APP_VERSION     semver                                   default package.json version
 *   DEVELOPER_URL   https URL                                default https://localhost/overlastbot
 *   PRIVACY_URL     https URL                                default ${DEVELOPER_URL}/privacy
 *   TERMS_URL       https URL                                default ${DEVELOPER_URL}/gebruiksvoorwaarden
 *   BOT_DOMAIN      host name of the bot (for validDomains)  default localhost
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { AppManifestUtils, type AppManifest } from '@microsoft/app-manifest';
import JSZip from 'jszip';
import { PNG } from 'pngjs';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const MANIFEST_DIR = join(REPO_ROOT, 'manifest');
export const DEFAULT_OUT_FILE = join(REPO_ROOT, 'build', 'appPackage.zip');
export const PACKAGE_FILES = ['manifest.json', 'color.png', 'outline.png'] as const;

/** Fixed local ids: the Playground's bot (.m365agentsplayground.yml) and a local Teams app id. */
export const LOCAL_BOT_ID = '00000000-0000-0000-0000-000000000002';
export const LOCAL_TEAMS_APP_ID = '00000000-0000-0000-0000-000000000004';

/** Teams' own limits, stricter than the JSON schema (which allows 128/4000 characters). */
const COMMAND_TITLE_MAX = 32;
const COMMAND_DESCRIPTION_MAX = 128;

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;
const HOST = /^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

export class PackageError extends Error {
  override readonly name = 'PackageError';
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

export interface ManifestValues {
  TEAMS_APP_ID: string;
  BOT_ID: string;
  APP_VERSION: string;
  DEVELOPER_URL: string;
  PRIVACY_URL: string;
  TERMS_URL: string;
  VALID_DOMAIN: string;
}

type Env = Record<string, string | undefined>;

/** Placeholder values from the environment, with local defaults; problems and warnings as lines. */
export function manifestValues(env: Env = process.env): { values: ManifestValues; problems: string[]; warnings: string[] } {
  const problems: string[] = [];
  const warnings: string[] = [];
  const get = (name: string) => {
    const v = env[name]?.trim();
    return v ? v : undefined;
  };
  const withDefault = (name: string, dflt: string, note = dflt) => {
    const v = get(name);
    if (v === undefined) warnings.push(`${name} not set: using ${note} (fine for local use only)`);
    return v ?? dflt;
  };
  const packageVersion = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const developerUrl = withDefault('DEVELOPER_URL', 'https://localhost/overlastbot');
  const values: ManifestValues = {
    TEAMS_APP_ID: withDefault('TEAMS_APP_ID', LOCAL_TEAMS_APP_ID),
    BOT_ID: get('BOT_ID') ?? get('MICROSOFT_APP_ID') ?? withDefault('BOT_ID', LOCAL_BOT_ID, `${LOCAL_BOT_ID} (the Playground bot; MICROSOFT_APP_ID is not set either)`),
    APP_VERSION: get('APP_VERSION') ?? packageVersion,
    DEVELOPER_URL: developerUrl,
    PRIVACY_URL: withDefault('PRIVACY_URL', `${developerUrl}/privacy`),
    TERMS_URL: withDefault('TERMS_URL', `${developerUrl}/gebruiksvoorwaarden`),
    VALID_DOMAIN: withDefault('BOT_DOMAIN', 'localhost'),
  };
  if (!GUID.test(values.TEAMS_APP_ID)) problems.push(`TEAMS_APP_ID must be a GUID, got "${values.TEAMS_APP_ID}"`);
  if (!GUID.test(values.BOT_ID)) problems.push(`BOT_ID / MICROSOFT_APP_ID must be a GUID (the bot's Microsoft App ID), got "${values.BOT_ID}"`);
  if (!SEMVER.test(values.APP_VERSION)) problems.push(`APP_VERSION must be a version like 1.2.3, got "${values.APP_VERSION}"`);
  for (const key of ['DEVELOPER_URL', 'PRIVACY_URL', 'TERMS_URL'] as const) {
    if (!/^https:\/\/[^\s/]+/.test(values[key])) problems.push(`${key} must be an https:// URL, got "${values[key]}"`);
  }
  if (!HOST.test(values.VALID_DOMAIN)) {
    problems.push(`BOT_DOMAIN must be a host name without scheme, port or path (e.g. overlastbot.dordrecht.nl), got "${values.VALID_DOMAIN}"`);
  }
  return { values, problems, warnings };
}

/** Replaces every `${{NAME}}`; names without a value are reported, not left in silently. */
export function fillPlaceholders(template: string, values: Record<string, string>): { text: string; unknown: string[] } {
  const unknown = new Set<string>();
  const text = template.replace(/\$\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g, (match, name: string) => {
    const value = values[name];
    if (value === undefined) {
      unknown.add(name);
      return match;
    }
    // Values go into JSON strings: escape them as JSON would.
    return JSON.stringify(value).slice(1, -1);
  });
  return { text, unknown: [...unknown] };
}

/**
 * Loads the JSON schema named by the manifest's `$schema` from the copy bundled in
 * @microsoft/app-manifest. Never downloads: the build must work offline.
 */
export function bundledSchemaFor(manifest: { $schema?: unknown }): object {
  const url = typeof manifest.$schema === 'string' ? manifest.$schema : '';
  const m = /^https:\/\/developer\.microsoft\.com\/(?:[a-z]{2}(?:-[a-z]{2})?\/)?(json-schemas\/teams\/[^?#]+\.json)$/i.exec(url);
  if (!m?.[1]) throw new PackageError([`manifest $schema "${url}" is not a Teams manifest schema URL (https://developer.microsoft.com/json-schemas/teams/vX.Y/MicrosoftTeams.schema.json)`]);
  const packageDir = dirname(createRequire(import.meta.url).resolve('@microsoft/app-manifest'));
  const file = join(packageDir, m[1]);
  if (!existsSync(file)) throw new PackageError([`the schema ${m[1]} is not bundled in @microsoft/app-manifest; choose a bundled manifest version (no download)`]);
  // Same clean-up as the package itself does before parsing.
  return JSON.parse(readFileSync(file, 'utf8').replace(/\\a/g, '\\u0007').replace(/\\v/g, '\\u000b')) as object;
}

interface ManifestShape {
  $schema?: string;
  icons?: { color?: string; outline?: string };
  bots?: { scopes?: string[]; commandLists?: { commands?: { title?: string; description?: string }[] }[] }[];
}

/** Schema validation (offline) plus the Teams limits the schema does not express. One line per problem. */
export async function validateManifest(manifest: object): Promise<string[]> {
  const problems: string[] = [];
  let schema: object;
  try {
    schema = bundledSchemaFor(manifest);
  } catch (err) {
    return err instanceof PackageError ? err.problems : [String(err)];
  }
  const schemaErrors = await AppManifestUtils.validateAgainstSchema(manifest as AppManifest, schema as Parameters<typeof AppManifestUtils.validateAgainstSchema>[1]);
  problems.push(...schemaErrors.map((e) => `schema: ${e.trim()}`));
  const m = manifest as ManifestShape;
  for (const [i, bot] of (m.bots ?? []).entries()) {
    for (const [j, list] of (bot.commandLists ?? []).entries()) {
      for (const [k, cmd] of (list.commands ?? []).entries()) {
        const where = `bots[${i}].commandLists[${j}].commands[${k}]`;
        if ((cmd.title ?? '').length > COMMAND_TITLE_MAX) problems.push(`${where}.title: longer than ${COMMAND_TITLE_MAX} characters (Teams limit)`);
        if ((cmd.description ?? '').length > COMMAND_DESCRIPTION_MAX)
          problems.push(`${where}.description: longer than ${COMMAND_DESCRIPTION_MAX} characters (Teams limit)`);
      }
    }
  }
  return problems;
}

/** Teams requires a 192×192 colour icon and a 32×32 outline icon that is white on transparent. */
export function checkIcons(dir: string, icons: { color?: string; outline?: string } = { color: 'color.png', outline: 'outline.png' }): string[] {
  const problems: string[] = [];
  const read = (name: string | undefined, label: string) => {
    if (!name) {
      problems.push(`icons.${label} is missing`);
      return undefined;
    }
    const file = join(dir, name);
    if (!existsSync(file)) {
      problems.push(`icons.${label}: ${relative(REPO_ROOT, file)} does not exist (run: npx tsx scripts/make-icons.ts)`);
      return undefined;
    }
    try {
      return PNG.sync.read(readFileSync(file));
    } catch (err) {
      problems.push(`icons.${label}: ${name} is not a readable PNG (${(err as Error).message})`);
      return undefined;
    }
  };
  const color = read(icons.color, 'color');
  if (color && (color.width !== 192 || color.height !== 192)) problems.push(`icons.color: must be 192×192, is ${color.width}×${color.height}`);
  const outline = read(icons.outline, 'outline');
  if (outline) {
    if (outline.width !== 32 || outline.height !== 32) problems.push(`icons.outline: must be 32×32, is ${outline.width}×${outline.height}`);
    let transparent = 0;
    let notWhite = 0;
    for (let i = 0; i < outline.data.length; i += 4) {
      const a = outline.data[i + 3]!;
      if (a === 0) transparent++;
      else if (outline.data[i] !== 255 || outline.data[i + 1] !== 255 || outline.data[i + 2] !== 255) notWhite++;
    }
    if (transparent === 0) problems.push('icons.outline: must have a transparent background');
    if (notWhite > 0) problems.push(`icons.outline: must be white on transparent; ${notWhite} visible pixels are not white`);
  }
  return problems;
}

export interface PackageOptions {
  env?: Env;
  manifestDir?: string;
  outFile?: string;
}

export interface PackageResult {
  outFile: string;
  manifest: Record<string, unknown>;
  warnings: string[];
}

/** Fills, validates and zips. Throws PackageError (one problem per line) when anything is wrong. */
export async function buildAppPackage(options: PackageOptions = {}): Promise<PackageResult> {
  const dir = options.manifestDir ?? MANIFEST_DIR;
  const outFile = options.outFile ?? DEFAULT_OUT_FILE;
  const { values, problems, warnings } = manifestValues(options.env ?? process.env);
  if (problems.length > 0) throw new PackageError(problems);

  const { text, unknown } = fillPlaceholders(readFileSync(join(dir, 'manifest.json'), 'utf8'), { ...values });
  if (unknown.length > 0) throw new PackageError(unknown.map((n) => `manifest.json uses \${{${n}}} but the package script has no value for it`));
  let manifest: Record<string, unknown>;
  try {
    manifest = JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new PackageError([`manifest.json is not valid JSON after filling the placeholders: ${(err as Error).message}`]);
  }
  const all = [...(await validateManifest(manifest)), ...checkIcons(dir, (manifest as ManifestShape).icons)];
  if (all.length > 0) throw new PackageError(all);

  // Fixed timestamps: the same input gives the same zip.
  const date = new Date(Date.UTC(2026, 0, 1));
  const zip = new JSZip();
  zip.file('manifest.json', JSON.stringify(manifest, null, 2) + '\n', { date });
  zip.file('color.png', readFileSync(join(dir, 'color.png')), { date });
  zip.file('outline.png', readFileSync(join(dir, 'outline.png')), { date });
  const buffer = await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE', compressionOptions: { level: 9 } });
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, buffer);
  return { outFile, manifest, warnings };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    const result = await buildAppPackage();
    for (const w of result.warnings) console.warn(`warning: ${w}`);
    const bots = result.manifest.bots as { botId: string }[];
    console.log(
      `✔ ${relative(process.cwd(), result.outFile)} — manifest ${String(result.manifest.manifestVersion)}, ` +
        `app version ${String(result.manifest.version)}, bot id ${bots[0]?.botId ?? '?'} (validated offline against the bundled schema)`,
    );
  } catch (err) {
    if (err instanceof PackageError) {
      console.error('✖ The Teams app package was not built:');
      for (const p of err.problems) console.error(`  - ${p}`);
    } else {
      console.error('✖ The Teams app package was not built:', err);
    }
    process.exitCode = 1;
  }
}
