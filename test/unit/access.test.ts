import { describe, expect, it } from 'vitest';
import {
  ACTIONS,
  CONVERSATION_KINDS,
  decide,
  type Action,
  type CaseFacts,
  type Decision,
  type FeedbackFacts,
  type PersonDataFacts,
  type Resource,
} from '../../src/domain/access.js';
import type { Actor } from '../../src/domain/actor.js';
import type { OrganisationKind, Role } from '../../src/domain/directory.js';

/**
 * The access policy as one table: every role the process knows × every action × the resource
 * variants that change the answer (level, involvement, police data, covenant, conversation).
 * A = allow, R = redact (allowed without the details), D = deny.
 */

function actor(id: string, org: string, kind: OrganisationKind, roles: Role[], districts: string[] = [], covenant = true): Actor {
  return { id, name: id, roles, organisation: { id: org, name: org, kind, covenant }, districts };
}

const COLUMNS = {
  'partner of involved org': actor('u-jw', 'jongerenwerk', 'jongerenwerk', ['partner'], ['crabbehof']),
  'partner of other org': actor('u-wb', 'woonbron', 'woningcorporatie', ['partner'], ['crabbehof']),
  'police partner': actor('u-pol', 'politie', 'politie', ['partner'], ['crabbehof']),
  'non-covenant org user': actor('u-school', 'school', 'school', ['partner'], ['crabbehof'], false),
  'wijkmanager of the district': actor('u-wm', 'gemeente', 'gemeente', ['wijkmanager'], ['crabbehof']),
  'wijkmanager of another district': actor('u-wm2', 'gemeente', 'gemeente', ['wijkmanager'], ['binnenstad']),
  voorzitter: actor('u-vz', 'gemeente', 'gemeente', ['voorzitter']),
  'regisseur-it': actor('u-rit', 'gemeente', 'gemeente', ['regisseur-it']),
  beheerder: actor('u-bh', 'gemeente', 'gemeente', ['beheerder']),
} as const;
const actors = Object.entries(COLUMNS);

const kase = (level: CaseFacts['level'], policeInvolved = false): Resource => ({
  type: 'case',
  case: {
    level,
    district: 'crabbehof',
    directorOrganisation: policeInvolved ? 'politie' : 'jongerenwerk',
    involvedOrganisations: policeInvolved ? ['politie', 'jongerenwerk', 'school'] : ['jongerenwerk'],
  },
});
const personData = (data: PersonDataFacts): Resource => ({ type: 'person-data', data });
/** Person data in a crabbehof signal reported by `reporter`, on a case at `level`. */
const person = (reporter: string, level: CaseFacts['level']): Resource =>
  personData({ reporterOrganisation: reporter, fromPolice: reporter === 'politie', district: 'crabbehof', level });
const conversation = (kind: (typeof CONVERSATION_KINDS)[number]): Resource => ({ type: 'conversation', conversation: kind });
/** Feedback on an intervention in a crabbehof case, given by the jongerenwerker (u-jw). */
const feedback = (handledBy: FeedbackFacts['handledBy'], responsible: string[] = ['u-jw']): Resource => ({
  type: 'feedback',
  feedback: { district: 'crabbehof', handledBy, responsible },
});
const system: Resource = { type: 'system' };
/** A meeting about a crabbehof case: jongerenwerk, police and the school invited, woonbron asked for advice. */
const meeting = (organiser: string): Resource => ({
  type: 'meeting',
  meeting: { districts: ['crabbehof'], organiser, invitees: ['u-jw', 'u-pol', 'u-school'], advisers: ['u-wb'] },
});

// Columns, in order: involved partner · other partner · police · non-covenant · wijkmanager ·
// wijkmanager elsewhere · voorzitter · regisseur-it · beheerder.
const TABLE: [string, Action, Resource, string][] = [
  ['any registered user may use the bot', 'bot.use', system, 'A A A A A A A A A'],
  // Personal chat only: nothing runs in a group chat or channel, where every member reads along.
  ['use the bot in the personal chat', 'bot.use', conversation('personal'), 'A A A A A A A A A'],
  ['use the bot in a group chat', 'bot.use', conversation('group'), 'D D D D D D D D D'],
  ['use the bot in a channel', 'bot.use', conversation('channel'), 'D D D D D D D D D'],
  ['use the bot in a conversation of unknown type', 'bot.use', conversation('unknown'), 'D D D D D D D D D'],
  ['partners and municipal roles report', 'signal.create', { type: 'district', district: 'crabbehof' }, 'A A A A A A A A D'],
  ['only police records police contacts', 'police-contact.create', system, 'D D A D D D D D D'],
  ['only the beheerder exports the audit log', 'audit.export', system, 'D D D D D D D D A'],
  // Erasure on request (AVG art. 17) is the beheerder's act; nobody else, not even the municipal roles.
  ['only the beheerder erases a person', 'person.erase', system, 'D D D D D D D D A'],
  // case.read: involved organisations at every level, plus the municipal roles for the district.
  ['read hinder case', 'case.read', kase('hinder'), 'A D D D A D A A D'],
  ['read overlast case', 'case.read', kase('overlast'), 'A D D D A D A A D'],
  ['read ernstig case', 'case.read', kase('ernstig'), 'A D D D A D A A D'],
  ['read hinder case with police and school involved', 'case.read', kase('hinder', true), 'A D A A A D A A D'],
  ['read overlast case with police and school involved', 'case.read', kase('overlast', true), 'A D A A A D A A D'],
  // A case the municipality is involved in (a municipal colleague reported): its people see it
  // through their roles where they work — a wijkmanager of another district does not, although it
  // is their organisation; the beheerder (who runs the bot) does not see case data at all.
  ['read hinder case reported by the municipality', 'case.read', { type: 'case', case: { level: 'hinder', district: 'crabbehof', directorOrganisation: 'gemeente', involvedOrganisations: ['gemeente'] } }, 'D D D D A D A A D'],
  ['person data reported by the municipality, overlast case', 'person-data.read', person('gemeente', 'overlast'), 'D D D D A D A A D'],
  ['person data reported by the municipality, hinder case', 'person-data.read', person('gemeente', 'hinder'), 'D D D D A D A A D'],
  // case.pass-on: only involved partners, only at hinder (§3); from overlast the wijkmanager directs.
  ['pass on hinder case', 'case.pass-on', kase('hinder'), 'A D D D D D D D D'],
  ['pass on overlast case', 'case.pass-on', kase('overlast'), 'D D D D D D D D D'],
  ['pass on ernstig case', 'case.pass-on', kase('ernstig'), 'D D D D D D D D D'],
  ['pass on hinder case with police and school involved', 'case.pass-on', kase('hinder', true), 'A D A A D D D D D'],
  // case.change-level: decisions of the municipality's roles for the district (§1, §4–5).
  ['change level of hinder case', 'case.change-level', kase('hinder'), 'D D D D A D A A D'],
  ['change level of overlast case', 'case.change-level', kase('overlast'), 'D D D D A D A A D'],
  ['change level of ernstig case with police involved', 'case.change-level', kase('ernstig', true), 'D D D D A D A A D'],
  // escalation notices: the municipal roles for the district; at hinder also the directing partner.
  ['receive notice about hinder case', 'escalation.receive', kase('hinder'), 'A D D D A D A A D'],
  ['receive notice about hinder case directed by police', 'escalation.receive', kase('hinder', true), 'D D A D A D A A D'],
  ['receive notice about overlast case', 'escalation.receive', kase('overlast'), 'D D D D A D A A D'],
  ['receive notice about ernstig case', 'escalation.receive', kase('ernstig', true), 'D D D D A D A A D'],
  ['act on notice about hinder case', 'escalation.act', kase('hinder'), 'A D D D A D A A D'],
  ['act on notice about overlast case', 'escalation.act', kase('overlast', true), 'D D D D A D A A D'],
  // person-data.read: reporting organisation + municipality; police data: municipality only (WPG).
  [
    'person data from a partner',
    'person-data.read',
    personData({ reporterOrganisation: 'jongerenwerk', fromPolice: false, district: 'crabbehof', level: 'overlast' }),
    'A D D D A D A A D',
  ],
  [
    'person data from the police',
    'person-data.read',
    personData({ reporterOrganisation: 'politie', fromPolice: true, district: 'crabbehof', level: 'overlast' }),
    'D D A D A D A A D',
  ],
  [
    'person data from a non-covenant organisation',
    'person-data.read',
    personData({ reporterOrganisation: 'school', fromPolice: false, district: 'crabbehof', level: 'overlast' }),
    'D D D D A D A A D',
  ],
  // By level (§2): at hinder nothing is shared — only the reporting organisation sees what it
  // reported; from overlast on the municipality too (police data: still the municipality only).
  ['person data from a partner, hinder case', 'person-data.read', person('jongerenwerk', 'hinder'), 'A D D D D D D D D'],
  ['person data from a partner, overlast case', 'person-data.read', person('jongerenwerk', 'overlast'), 'A D D D A D A A D'],
  ['person data from a partner, ernstig case', 'person-data.read', person('jongerenwerk', 'ernstig'), 'A D D D A D A A D'],
  ['person data from the police, hinder case', 'person-data.read', person('politie', 'hinder'), 'D D A D D D D D D'],
  ['person data from the police, overlast case', 'person-data.read', person('politie', 'overlast'), 'D D A D A D A A D'],
  ['person data from the police, ernstig case', 'person-data.read', person('politie', 'ernstig'), 'D D A D A D A A D'],
  ['person data from a non-covenant organisation, hinder case', 'person-data.read', person('school', 'hinder'), 'D D D D D D D D D'],
  ['person data from a non-covenant organisation, overlast case', 'person-data.read', person('school', 'overlast'), 'D D D D A D A A D'],
  ['person data from another partner, overlast case', 'person-data.read', person('woonbron', 'overlast'), 'D A D D A D A A D'],
  // Terugkoppeling (§4–5): the responsible partner gives it; whoever handles the case reads it; for
  // Kerngroep / Interventieteam cases the district's wijkmanager only learns that it was given (R).
  ['give feedback', 'feedback.give', feedback('wijkmanager'), 'A D D D D D D D D'],
  ['give feedback on a Kerngroep case', 'feedback.give', feedback('kerngroep'), 'A D D D D D D D D'],
  ['give feedback on an Interventieteam case', 'feedback.give', feedback('interventieteam'), 'A D D D D D D D D'],
  ['a non-covenant party gives feedback on its intervention', 'feedback.give', feedback('wijkmanager', ['u-school']), 'D D D A D D D D D'],
  ['read feedback on a case the wijkmanager handles', 'feedback.read', feedback('wijkmanager'), 'A D D D A D A A D'],
  ['read feedback on a Kerngroep case', 'feedback.read', feedback('kerngroep'), 'A D D D R D A D D'],
  ['read feedback on an Interventieteam case', 'feedback.read', feedback('interventieteam'), 'A D D D R D D A D'],
  ['give feedback without feedback', 'feedback.give', kase('overlast'), 'D D D D D D D D D'],
  ['read feedback without feedback', 'feedback.read', kase('overlast'), 'D D D D D D D D D'],
  // Casusoverleg: the wijkmanager of the district plans (chair/regisseur city-wide, §4–5); the
  // organiser manages; invitees answer; advisers advise; all of them may read.
  ['plan a meeting about an overlast case', 'meeting.plan', kase('overlast'), 'D D D D A D A A D'],
  ['plan a meeting in a district', 'meeting.plan', { type: 'district', district: 'crabbehof' }, 'D D D D A D A A D'],
  ['manage a meeting', 'meeting.manage', meeting('u-wm'), 'D D D D A D A A D'],
  ['manage a meeting organised by a wijkmanager of another district', 'meeting.manage', meeting('u-wm2'), 'D D D D A A A A D'],
  ['read a meeting', 'meeting.read', meeting('u-wm'), 'A A A A A D A A D'],
  ['answer a summons', 'meeting.respond', meeting('u-wm'), 'A D A A D D D D D'],
  ['give advice beforehand', 'meeting.advise', meeting('u-wm'), 'D A D D D D D D D'],
  ['plan without a case or district', 'meeting.plan', system, 'D D D D D D D D D'],
  ['manage without a meeting', 'meeting.manage', kase('overlast'), 'D D D D D D D D D'],
  // A resource of the wrong type is denied, never allowed by accident.
  ['case read without a case', 'case.read', system, 'D D D D D D D D D'],
  ['pass on without a case', 'case.pass-on', personData({ reporterOrganisation: 'x', fromPolice: false, district: 'crabbehof', level: 'overlast' }), 'D D D D D D D D D'],
  ['change level without a case', 'case.change-level', system, 'D D D D D D D D D'],
  ['act on a notice without a case', 'escalation.act', system, 'D D D D D D D D D'],
  ['person data without person data', 'person-data.read', kase('hinder'), 'D D D D D D D D D'],
  // Kerngroep (§5–6): the wijkmanager registers, the chair decides, asked covenant partners answer.
  ['register with the Kerngroep', 'kerngroep.register', kase('overlast'), 'D D D D A D A A D'],
  ['chair the Kerngroep', 'kerngroep.chair', system, 'D D D D D D A D D'],
  ['answer the Kerngroep inquiry', 'kerngroep.answer', { type: 'inquiry', organisations: ['jongerenwerk', 'politie', 'school'] }, 'A D A D D D D D D'],
  ['answer without an inquiry', 'kerngroep.answer', kase('ernstig'), 'D D D D D D D D D'],
];

/** Derived from the policy itself: a new action without rows in TABLE fails 'covers every action'. */
const ALL_ACTIONS: readonly Action[] = ACTIONS;
/** A, R or D: redact is its own answer, never folded into allow or deny. */
const letter = (d: Decision) => (d.effect === 'allow' ? 'A' : d.effect === 'redact' ? 'R' : 'D');

describe('access policy table', () => {
  it('covers every action', () => {
    expect(new Set(TABLE.map((row) => row[1]))).toEqual(new Set(ALL_ACTIONS));
  });

  for (const [label, action, resource, expected] of TABLE) {
    const columns = expected.trim().split(/\s+/);
    it(`${label} (${action})`, () => {
      expect(columns).toHaveLength(actors.length);
      const got = actors.map(([, a]) => letter(decide(a, action, resource)));
      // Compare as a labelled record, so a failure names the role.
      expect(Object.fromEntries(actors.map(([name], i) => [name, got[i]]))).toEqual(
        Object.fromEntries(actors.map(([name], i) => [name, columns[i]])),
      );
    });
  }
});

describe('access policy: deny reasons say why', () => {
  const reason = (a: Actor, action: Action, resource: Resource) => {
    const d = decide(a, action, resource);
    return d.effect === 'allow' ? 'allow' : d.reason;
  };
  const policeData = personData({ reporterOrganisation: 'politie', fromPolice: true, district: 'crabbehof', level: 'overlast' });

  it.each([
    ['partner of involved org', 'person-data.read', policeData, 'police-data-wpg'],
    ['non-covenant org user', 'person-data.read', policeData, 'non-covenant'],
    ['partner of other org', 'case.read', kase('hinder'), 'not-involved'],
    ['partner of involved org', 'case.pass-on', kase('overlast'), 'role-required'],
    ['wijkmanager of another district', 'case.change-level', kase('hinder'), 'wrong-district'],
    ['partner of involved org', 'case.change-level', kase('hinder'), 'role-required'],
    ['beheerder', 'signal.create', system, 'role-required'],
    ['wijkmanager of the district', 'person.erase', system, 'role-required'],
    ['partner of involved org', 'case.read', system, 'unknown-action'],
    ['wijkmanager of the district', 'bot.use', conversation('group'), 'personal-chat-only'],
    ['voorzitter', 'bot.use', conversation('channel'), 'personal-chat-only'],
    ['wijkmanager of the district', 'person-data.read', person('jongerenwerk', 'hinder'), 'not-involved'],
    ['wijkmanager of the district', 'person-data.read', person('politie', 'hinder'), 'police-data-wpg'],
    ['partner of other org', 'person-data.read', person('politie', 'overlast'), 'police-data-wpg'],
    ['non-covenant org user', 'person-data.read', person('school', 'overlast'), 'non-covenant'],
    ['wijkmanager of the district', 'feedback.read', feedback('kerngroep'), 'not-involved'],
  ] as const)('%s, %s → %s', (who, action, resource, expected) => {
    expect(reason(COLUMNS[who], action, resource)).toBe(expected);
  });
});
