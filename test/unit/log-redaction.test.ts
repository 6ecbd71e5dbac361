import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { PREP_TEXT_FIELDS } from '../../src/domain/meeting.js';
import { CODE_KEYS, SENSITIVE_KEYS, createLogger } from '../../src/log.js';

/**
 * The log's safety net: whatever a developer passes to the logger, person data and free text do
 * not reach the output — at the top level, nested, in arrays, in any letter case.
 */

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { log: createLogger({ level: 'debug', destination }), lines };
}

/** Fields of the domain schemas (src/domain/*.ts) that hold person data or free text. */
const DOMAIN_FIELDS = [
  // signal.ts: the form and the stored signal / pass-on / level change
  'personName',
  'personDob',
  'name',
  'dateOfBirth',
  'description',
  'categoryOther',
  'location',
  'policeReference',
  'reference',
  'reason',
  'person',
  // kerngroep.ts: agenda persons (oranje/rood) and registrations
  'bsn',
  'address',
  'city',
  'family',
  'justification',
  'what',
  'agreedOn',
  'criterionA',
  // feedback.ts, intervention.ts
  'explanation',
  'instrument',
  // meeting.ts: summons, preparation (appendix 1), advice, cancellation
  'place',
  'adviceQuestion',
  'prepare',
  'fields',
  'answer',
  'text',
  ...PREP_TEXT_FIELDS,
  // signal.ts / kerngroep.ts: the pseudonymous person key
  'personKey',
] as const;

const marker = (field: string) => `Geheim ${field} Jansen-1975`;

describe('log redaction', () => {
  it('knows every person or free-text field of the domain schemas', () => {
    const known = new Set<string>([...SENSITIVE_KEYS, ...CODE_KEYS]);
    expect(DOMAIN_FIELDS.filter((f) => !known.has(f))).toEqual([]);
  });

  it.each(DOMAIN_FIELDS)('hides %s at the top level, nested, in arrays and in any case', (field) => {
    const { log, lines } = capture();
    const secret = marker(field);
    log.info({ event: 'test', [field]: secret }, 'top');
    log.info({ event: 'test', signal: { [field]: secret } }, 'one deep');
    log.info({ event: 'test', a: { b: { c: { d: { [field]: secret } } } } }, 'four deep');
    log.info({ event: 'test', items: [{ [field]: secret }, { x: [{ [field]: secret }] }] }, 'arrays');
    log.info({ event: 'test', [field.toUpperCase()]: secret, nested: { [field[0]!.toUpperCase() + field.slice(1)]: secret } }, 'case');
    log.info({ event: 'test', [field]: { deeper: secret } }, 'object value');
    log.info({ event: 'test', [field]: [secret] }, 'array value');
    expect(lines).toHaveLength(7);
    for (const line of lines) {
      expect(line).not.toContain('Jansen-1975');
      expect(line).toContain('[verwijderd]');
    }
  });

  it('hides a whole Kerngroep agenda person with family members and a signal with its person', () => {
    const { log, lines } = capture();
    log.info({
      event: 'oops',
      persons: [
        {
          name: 'Kees Kerngroep',
          dateOfBirth: '1999-09-09',
          address: 'Voorstraat 1',
          city: 'Dordrecht',
          bsn: '123456782',
          family: [{ name: 'Fenna Familie', dateOfBirth: '2012-01-01' }],
        },
      ],
      signal: { person: { name: 'Piet Persoon', dateOfBirth: '2001-02-03' }, description: 'Vrije tekst', location: 'Zuidendijk 12' },
      passOn: { reason: 'Hij woont op de hoek en is agressief' },
      levelChange: { reason: 'Escalatie na Kerngroep' },
      feedback: { explanation: 'Gesprek met moeder gevoerd', effect: 'Niet zichtbaar meer' },
    });
    const out = lines.join('');
    for (const secret of ['Kees', '1999-09-09', 'Voorstraat', 'Dordrecht', '123456782', 'Fenna', '2012-01-01', 'Piet', '2001-02-03', 'Vrije tekst', 'Zuidendijk', 'agressief', 'Escalatie', 'moeder', 'zichtbaar']) {
      expect(out).not.toContain(secret);
    }
  });

  it('keeps ids, references, counts and machine codes', () => {
    const { log, lines } = capture();
    const codes = {
      event: 'case.read.denied',
      userId: 'u-jongerenwerk',
      caseRef: 'C-2026-00012',
      reason: 'not-involved',
      fields: ['from.aadObjectId', 'conversation.id'],
      persons: 3,
      answer: 'ja',
      counts: { signals: 4, persons: 1 },
      transition: 'hinder->overlast',
    };
    const expected = structuredClone(codes);
    log.warn(codes);
    expect(JSON.parse(lines[0]!)).toMatchObject(expected);
  });

  it('survives cycles and very deep objects without leaking', () => {
    const { log, lines } = capture();
    const cyclic: Record<string, unknown> = { id: 'x' };
    cyclic.self = cyclic;
    let deep: Record<string, unknown> = { note: 'Diep verstopt' };
    for (let i = 0; i < 40; i++) deep = { next: deep };
    log.info({ event: 'test', cyclic, deep });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('Diep verstopt');
  });
});
