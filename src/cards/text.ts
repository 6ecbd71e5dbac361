/**
 * Text for TextBlocks that the bot itself composes around a user-supplied value (e.g. a display
 * name). Teams renders a markdown subset in TextBlocks, so characters that would format, link or
 * mention are escaped. Free text from users goes through src/cards/escape.ts the same way.
 */
export function plainText(text: string): string {
  return text
    .replace(/[\\`*_[\]()#>~|]/g, (c) => `\\${c}`)
    .replace(/</g, '&lt;')
    .replace(/^(\s*)([-+]|\d+\.)(\s)/gm, '$1\\$2$3');
}
