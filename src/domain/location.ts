/**
 * Locations as partners type them ("Statenplein.", " St. Jorisweg ", "Sint-Jorisweg") must match,
 * because §3 of the process turns on "a place has had nuisance more often": repeated signals about
 * one spot only add up when they land in one case. Normalisation is deliberately conservative —
 * it removes differences of spelling, never of meaning (house numbers stay).
 */

/**
 * Abbreviations common in Dordrecht street names, mapped to one spelling. Ambiguous ones
 * ("Kon." = Koning or Koningin) are left alone: a false match would merge two places.
 */
const WORD_FORMS: Readonly<Record<string, string>> = {
  st: 'sint',
  sint: 'sint',
  burg: 'burgemeester',
  burgemeester: 'burgemeester',
  mr: 'meester',
  meester: 'meester',
  dr: 'dokter',
  dokter: 'dokter',
  doctor: 'dokter',
  prof: 'professor',
  professor: 'professor',
  pres: 'president',
  president: 'president',
  gen: 'generaal',
  generaal: 'generaal',
};

/**
 * Lower-case words separated by single spaces, without diacritics or punctuation.
 * Returns '' when nothing meaningful is left (e.g. "..."), which callers treat as "no location".
 */
export function normaliseLocation(input: string): string {
  const words = input
    .normalize('NFKD')
    // Diacritics: "Koningsplein" and "Kóningsplein" are the same place.
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    // Apostrophes are dropped, not turned into spaces: "'s-Gravendeel" and "s-Gravendeel" match.
    .replace(/['’‘`´]/g, '')
    // Hyphens, dots, commas and other punctuation separate words: "Sint-Jorisweg" = "Sint Jorisweg".
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()
    .split(' ')
    .filter((w) => w.length > 0);
  return words.map(expandWord).join(' ');
}

function expandWord(word: string): string {
  const form = WORD_FORMS[word];
  if (form) return form;
  // "Voorstr." is Voorstraat; Dutch has no street-name word that ends in "str" otherwise.
  if (word.length > 3 && word.endsWith('str')) return `${word}aat`;
  return word;
}

/**
 * A compact key for store keys and indexes: the normalised words joined by '-'.
 * Contains only letters, digits and '-', so it is safe inside a `:`-separated store key.
 */
export function locationKey(input: string): string {
  return normaliseLocation(input).replace(/ /g, '-');
}

/** Same place after normalisation. */
export function sameLocation(a: string, b: string): boolean {
  const ka = locationKey(a);
  return ka !== '' && ka === locationKey(b);
}

/** Display form: the partner's own spelling, trimmed and with single spaces. */
export function tidyLocation(input: string): string {
  return input.replace(/\s+/g, ' ').trim();
}
