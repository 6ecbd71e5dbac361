/**
 * User text (a location, a description, a reason) shown in an Adaptive Card TextBlock or FactSet.
 * Teams renders a markdown subset there: an unescaped `[x](https://…)` becomes a link that looks
 * like ours, `**` or `#` reshape the card, and `<at>…</at>` is how Teams marks a mention. Everything
 * that could format, link or mention is escaped, so the text shows exactly as the partner typed it.
 * Values of inputs (`value` of Input.Text) are not markdown and must NOT go through here.
 *
 * Same conventions as src/cards/text.ts (backslash for markdown punctuation, `&lt;` for `<`).
 */

const MARKDOWN_PUNCTUATION = /[\\`*_[\]()#>~|!{}]/g;

/** Control characters (other than newline and tab) render as garbage or not at all. */
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F\u200B-\u200F\u202A-\u202E\u2066-\u2069]/g;

export interface EscapeOptions {
  /**
   * Keep line breaks. TextBlock markdown needs an empty line for a visible break, so each line
   * break becomes a paragraph break. Default: collapse all whitespace to single spaces.
   */
  multiline?: boolean;
}

/**
 * Text that needs none of the work below: no markdown punctuation, no `<`, no control or invisible
 * characters, no whitespace but single spaces, nothing at the start that starts a list. Most names,
 * places and short descriptions are like that; they are returned as they are.
 */
const NEEDS_WORK = /[\\`*_[\]()#>~|!{}<\u0000-\u001F\u007F\u0085\u00A0\u1680\u2000-\u200F\u2028-\u202F\u205F\u2066-\u2069\u3000\uFEFF]| {2}|^[\s+\-\d]|\s$/;

export function escapeText(text: string, options: EscapeOptions = {}): string {
  return NEEDS_WORK.test(text) ? escapeTextFully(text, options) : text;
}

/** escapeText without the shortcut (exported for the test that checks the shortcut changes nothing). */
export function escapeTextFully(text: string, options: EscapeOptions = {}): string {
  const s = text.replace(/\r\n?/g, '\n').replace(CONTROL, '');
  const lines = options.multiline ? s.split('\n') : [s];
  return lines
    .map((line) => line.replace(/\s+/g, ' ').trim())
    .filter((line) => line !== '')
    .map(escapeLine)
    .join('\n\n');
}

function escapeLine(line: string): string {
  return (
    line
      .replace(MARKDOWN_PUNCTUATION, (c) => `\\${c}`)
      // `<` opens mentions (`<at>`) and HTML-ish tags some Teams clients honour.
      .replace(/</g, '&lt;')
      // At the start of a line, `-`, `+` and `1.` start a list.
      .replace(/^([-+])(?=\s|$)/, '\\$1')
      .replace(/^(\d+)([.)])(?=\s|$)/, '$1\\$2')
  );
}

/** Escapes and shortens to `max` characters (on a character boundary, with an ellipsis). */
export function escapeExcerpt(text: string, max: number): string {
  const chars = [...text.replace(/\s+/g, ' ').trim()];
  const short = chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : chars.join('');
  return escapeText(short);
}
