import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { nl } from '../../src/i18n/nl.js';

/**
 * Project rule: "UI text is Dutch and lives in one place" — src/i18n/nl.ts. This guard reads every
 * string literal and template literal in src/ outside src/i18n/ (comments and regexes are not
 * literals) and fails on one that reads as Dutch text. A heuristic: a literal is Dutch when it
 * contains one of the common Dutch words below. Identifiers and codes (`afschalen-signaal`, `nog-niet`)
 * are data whatever their words; a few plain words of the process's vocabulary used as data (enum
 * values, a command word) are allowed by exact text in ALLOWED. Put a message back in src/ and this fails.
 */

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Common Dutch words that an English identifier, log message or code does not contain. */
const DUTCH_WORDS = new Set([
  // function words
  'de', 'het', 'een', 'van', 'voor', 'niet', 'geen', 'en', 'met', 'aan', 'bij', 'als', 'dat', 'deze', 'dit', 'naar', 'tot',
  'uit', 'nog', 'ook', 'maar', 'dan', 'er', 'te', 'na', 'je', 'jouw', 'wie', 'waarom', 'alleen', 'elk', 'tussen',
  'vóór', 'minstens', 'uiterlijk', 'bijvoorbeeld', 'bijv', 'kies', 'vul',
  // verbs
  'moet', 'moeten', 'zijn', 'kan', 'kunnen', 'wordt', 'worden', 'heeft', 'hebben', 'staat', 'liggen', 'lezen', 'gezet',
  'verwacht', 'toegestaan', 'verwijderd', 'afgeleverd', 'gegeven', 'probeer', 'typ',
  // words of (operator) messages
  'onbekend', 'onbekende', 'ongeldig', 'ongeldige', 'dubbele', 'verplicht', 'fout', 'regel', 'bestand', 'uur', 'dagen',
  'keer', 'twee', 'productie', 'configuratie', 'tijdzone', 'kringverwijzing', 'aflevering', 'overdracht', 'herinnering',
  'tijdstip', 'gebruiker', 'organisatie', 'uitkomst', 'referentie', 'aantallen', 'soort', 'verwijderingen', 'terugkoppeling',
  'afschalen',
]);

/**
 * Identifiers and codes: one token joined by - : . _ / (`afschalen-signaal`, `nog-niet`,
 * `feedback-afschalen:${}:${}`, `en-US`). Data, whatever words they contain.
 */
const CODE = /^[\w${}]+([-:./][\w${}]*)+$/;

/** Exact literals that are data, not UI text: the process's own vocabulary. */
const ALLOWED = new Set([
  // answer and feedback vocabularies (src/domain/inquiry.ts, meeting.ts, feedback.ts, escalation.ts)
  'onbekend',
  'geen',
  // a command word the user types (src/app/help.ts)
  'terugkoppeling',
]);

interface Literal {
  file: string;
  line: number;
  text: string;
}

/** Every string and template literal outside import/export specifiers; `${…}` becomes `${}`. */
function literals(file: string, text = readFileSync(file, 'utf8')): Literal[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: Literal[] = [];
  const add = (node: ts.Node, text: string) =>
    found.push({ file, line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1, text });
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node) || ts.isExternalModuleReference(node)) return;
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) add(node, node.text);
    else if (ts.isTemplateExpression(node)) {
      add(node, node.head.text + node.templateSpans.map((s) => '${}' + s.literal.text).join(''));
      node.templateSpans.forEach((s) => visit(s.expression));
    } else ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function looksDutch(text: string): boolean {
  return (text.toLowerCase().match(/[a-zà-ÿ]+/g) ?? []).some((w) => DUTCH_WORDS.has(w));
}

const isDutchMessage = (l: Literal): boolean => looksDutch(l.text) && !CODE.test(l.text) && !ALLOWED.has(l.text);
const describeLiteral = (l: Literal): string => `${l.file}:${l.line}: ${JSON.stringify(l.text)}`;

/** Every string nl.ts produces for a section: its strings, and its functions called with sample arguments. */
function texts(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (typeof value === 'function') return texts((value as (...a: unknown[]) => unknown)(...Array.from({ length: value.length }, () => 'x')));
  if (Array.isArray(value)) return [value.join(' ')];
  if (value && typeof value === 'object') return Object.values(value).flatMap(texts);
  return [];
}

describe('UI text lives in src/i18n/nl.ts', () => {
  const sources = files('src').filter((f) => !f.startsWith(join('src', 'i18n')));
  let parsed: Literal[] | undefined;
  const all = (): Literal[] => (parsed ??= sources.flatMap((f) => literals(f)));

  it('has no Dutch message literal in src/ outside src/i18n/', () => {
    const found = all().filter(isDutchMessage).map(describeLiteral);
    expect(found).toEqual([]);
  });

  it('allows only literals that occur (the allow-list stays small)', () => {
    const present = new Set(all().map((l) => l.text));
    expect([...ALLOWED].filter((a) => !present.has(a) || !looksDutch(a))).toEqual([]);
  });

  it('recognises the messages that moved to nl.ts (the check is not vacuous)', () => {
    const moved = [
      nl.config,
      nl.files,
      nl.directory,
      nl.escalationRules,
      nl.admin.csvHeader,
      nl.admin.deletions.csvHeader,
      nl.admin.deletions.fileName,
      nl.feedback.about,
      nl.escalation.handover.about,
      nl.escalation.delivery.reportAbout,
      nl.ops.logRedacted,
      nl.ops.logCircular,
    ];
    const missed = moved.flatMap(texts).filter((text) => !looksDutch(text));
    expect(missed).toEqual([]);
    expect(moved.flatMap(texts).length).toBeGreaterThan(20);
  });

  it('finds a message put back into a source file', () => {
    const putBack = (file: string, from: string, to: string): string[] => {
      const original = readFileSync(file, 'utf8');
      const text = original.replace(from, to);
      expect(text).not.toBe(original);
      return literals(file, text).filter(isDutchMessage).map((l) => l.text);
    };
    expect(putBack(join('src', 'domain', 'directory.ts'), 't.unknownDistrict(w)', '`onbekende wijk "${w}"`')).toEqual(['onbekende wijk "${}"']);
    expect(putBack(join('src', 'config.ts'), 't.unknownTimeZone', "'onbekende tijdzone'")).toEqual(['onbekende tijdzone']);
    expect(putBack(join('src', 'app', 'admin.ts'), 'nl.admin.csvHeader', "['tijdstip', 'gebruiker', 'naam']")).toEqual(['tijdstip', 'gebruiker']);
  });

  it('reads the sources (the check is not vacuous)', () => {
    expect(sources.length).toBeGreaterThan(30);
    expect(all().length).toBeGreaterThan(1000);
  });
});
