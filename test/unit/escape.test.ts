import { describe, expect, it } from 'vitest';
import { escapeExcerpt, escapeText, escapeTextFully } from '../../src/cards/escape.js';

describe('escapeText: user text shows as typed in a TextBlock', () => {
  it.each([
    ['plain text stays plain', 'Groep jongeren bij de speeltuin', 'Groep jongeren bij de speeltuin'],
    ['bold', '**vet**', '\\*\\*vet\\*\\*'],
    ['italic with underscores', '_schuin_', '\\_schuin\\_'],
    ['a link that would look like ours', '[klik hier](https://evil.example)', '\\[klik hier\\]\\(https://evil.example\\)'],
    ['an image', '![x](http://x/y.png)', '\\!\\[x\\]\\(http://x/y.png\\)'],
    ['a heading', '# Kop', '\\# Kop'],
    ['code', '`rm -rf`', '\\`rm -rf\\`'],
    ['a quote', '> citaat', '\\> citaat'],
    ['a list item at the start', '- punt', '\\- punt'],
    ['a plus list item', '+ punt', '\\+ punt'],
    ['a numbered list item', '1. eerste', '1\\. eerste'],
    ['a hyphen inside a word stays', 'Sint-Jorisweg 12-14', 'Sint-Jorisweg 12-14'],
    ['a mention', '<at>Willem</at>', '&lt;at\\>Willem&lt;/at\\>'],
    ['html', '<b>x</b><img src=x onerror=alert(1)>', '&lt;b\\>x&lt;/b\\>&lt;img src=x onerror=alert\\(1\\)\\>'],
    ['a backslash', 'C:\\pad', 'C:\\\\pad'],
    ['strikethrough and tables', '~~weg~~ | a |', '\\~\\~weg\\~\\~ \\| a \\|'],
    ['control and bidi characters are dropped', 'a\u0000b\u202Ec\u200Bd', 'abcd'],
    ['whitespace collapses', '  veel    ruimte \n tussen  ', 'veel ruimte tussen'],
  ])('%s', (_label, input, expected) => {
    expect(escapeText(input)).toBe(expected);
  });

  it('keeps lines as paragraphs when asked, and escapes list markers on every line', () => {
    expect(escapeText('regel 1\n- regel 2\r\n\r\n\r\n# regel 3', { multiline: true })).toBe('regel 1\n\n\\- regel 2\n\n\\# regel 3');
  });

  it('turns a multi-line text into one line by default (a hyphen mid-line is no list marker)', () => {
    expect(escapeText('a\n- b')).toBe('a - b');
    expect(escapeText('\n- b')).toBe('\\- b');
  });

  it('leaves no unescaped markdown punctuation behind', () => {
    const nasty = '*_[]()#`>~|!{}<\\';
    const out = escapeText(nasty);
    // Every special character is preceded by a backslash, or (for <) became an entity.
    expect(out.replace(/\\./g, '').replace(/&lt;/g, '')).toBe('');
  });
});

describe('escapeExcerpt', () => {
  it('shortens on a character boundary before escaping', () => {
    expect(escapeExcerpt('abcdef', 4)).toBe('abc…');
    expect(escapeExcerpt('😀😀😀😀', 3)).toBe('😀😀…');
    expect(escapeExcerpt('**', 5)).toBe('\\*\\*');
  });
});

describe('escapeText: the shortcut for text that needs no escaping', () => {
  it('gives exactly what the full escaping gives, for random text from plain and special characters', () => {
    // Letters, digits, spaces and every kind of character the escaping handles.
    const alphabet = [...'abcXYZ 019.-+', ...'\\`*_[]()#>~|!{}<', '\n', '\r', '\t', '\u0000', '\u0007', '\u007F', '\u00A0', '\u200B', '\u2028', '\u202E', '\u2067', '\u3000', '\uFEFF', 'é', '😀'];
    let seed = 42;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
    let plain = 0;
    for (let i = 0; i < 20_000; i++) {
      // Mostly plain characters, so that both paths are taken often.
      const length = Math.floor(random() * 12);
      const text = Array.from({ length }, () => alphabet[random() < 0.85 ? Math.floor(random() * 13) : Math.floor(random() * alphabet.length)]).join('');
      for (const multiline of [false, true]) {
        const got = escapeText(text, { multiline });
        expect(got, JSON.stringify(text)).toBe(escapeTextFully(text, { multiline }));
        if (got === text) plain++;
      }
    }
    expect(plain).toBeGreaterThan(5_000);
  });
});
