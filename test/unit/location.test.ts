import { describe, expect, it } from 'vitest';
import { locationKey, normaliseLocation, sameLocation, tidyLocation } from '../../src/domain/location.js';

describe('location normalisation', () => {
  it.each([
    ['Statenplein', 'statenplein'],
    [' statenplein ', 'statenplein'],
    ['Statenplein.', 'statenplein'],
    ['STATENPLEIN!', 'statenplein'],
    ['Sint Jorisweg', 'sint jorisweg'],
    ['St. Jorisweg', 'sint jorisweg'],
    ['St Jorisweg', 'sint jorisweg'],
    ['Sint-Jorisweg', 'sint jorisweg'],
    ['Burg. de Raadtsingel', 'burgemeester de raadtsingel'],
    ['Burgemeester de Raadtsingel', 'burgemeester de raadtsingel'],
    ['Dr. Abraham Kuyperstraat', 'dokter abraham kuyperstraat'],
    ['Voorstr. 12', 'voorstraat 12'],
    ['Voorstraat   12', 'voorstraat 12'],
    ["'s-Gravendeelsestraat", 's gravendeelsestraat'],
    ['s Gravendeelsestraat', 's gravendeelsestraat'],
    ['Café ’t Hoekje', 'cafe t hoekje'],
    ['Crème  Brûléeplein', 'creme bruleeplein'],
    ['Sumatraplein\t(bij de speeltuin)', 'sumatraplein bij de speeltuin'],
  ])('%j → %j', (input, expected) => {
    expect(normaliseLocation(input)).toBe(expected);
  });

  it('keeps house numbers and their letters apart: another address is another place', () => {
    expect(sameLocation('Voorstraat 12', 'Voorstraat 12a')).toBe(false);
    expect(sameLocation('Voorstraat 12', 'Voorstraat 14')).toBe(false);
    expect(sameLocation('Voorstraat 12', 'voorstr. 12')).toBe(true);
  });

  it('does not expand words that merely contain an abbreviation', () => {
    expect(normaliseLocation('Stationsweg')).toBe('stationsweg');
    expect(normaliseLocation('Drievriendenhof')).toBe('drievriendenhof');
    expect(normaliseLocation('Str')).toBe('str');
  });

  it('gives nothing for punctuation only, which callers treat as no location', () => {
    expect(normaliseLocation('...')).toBe('');
    expect(normaliseLocation('  - ')).toBe('');
    expect(locationKey('?!')).toBe('');
    expect(sameLocation('...', '...')).toBe(false);
  });

  it('makes keys safe inside colon-separated store keys', () => {
    expect(locationKey('St. Jorisweg: bij nr. 3')).toBe('sint-jorisweg-bij-nr-3');
    expect(locationKey('Statenplein')).toMatch(/^[\p{L}\p{N}-]+$/u);
  });

  it('keeps the partner’s own spelling for display', () => {
    expect(tidyLocation('  St.   Jorisweg ')).toBe('St. Jorisweg');
  });
});
