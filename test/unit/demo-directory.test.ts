import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadDirectory, parseDirectory, ROLES } from '../../src/domain/directory.js';
import { DEFAULT_DIRECTORY_FILE } from '../../src/config.js';
import { DEMO_DIRECTORY_FILE, demoPeople, PLAYGROUND_CONFIG_FILE, playgroundPeople, readPlaygroundConfig } from '../../scripts/playground-lib.js';

const directory = loadDirectory(DEMO_DIRECTORY_FILE);
const playground = readPlaygroundConfig(PLAYGROUND_CONFIG_FILE);
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('demo directory (config/demo-directory.yaml)', () => {
  it('parses and validates with parseDirectory as well as loadDirectory', () => {
    const parsed = parseDirectory(readFileSync(DEMO_DIRECTORY_FILE, 'utf8'), 'demo');
    expect(parsed.data).toEqual(directory.data);
  });

  it('is the default directory of the bot', () => {
    expect(DEMO_DIRECTORY_FILE.endsWith(DEFAULT_DIRECTORY_FILE)).toBe(true);
  });

  it('says it is fictional', () => {
    expect(readFileSync(DEMO_DIRECTORY_FILE, 'utf8').split('\n').slice(0, 10).join('\n')).toMatch(/FICTIONAL/i);
  });

  it('uses fixed GUID-like user ids', () => {
    for (const u of directory.data.users) expect(u.id).toMatch(GUID);
  });

  it('covers every role', () => {
    for (const role of ROLES) expect(directory.usersWithRole(role).length, role).toBeGreaterThan(0);
  });

  it('has users in at least three partner organisations of different kinds', () => {
    const partnerOrgs = new Set(directory.usersWithRole('partner').map((u) => u.organisation));
    expect(partnerOrgs.size).toBeGreaterThanOrEqual(3);
    const kinds = new Set([...partnerOrgs].map((id) => directory.organisation(id)!.kind));
    expect(kinds.size).toBeGreaterThanOrEqual(3);
    for (const kind of ['politie', 'handhaving', 'jongerenwerk', 'woningcorporatie'] as const) expect(kinds.has(kind), kind).toBe(true);
  });

  it('has the municipality under the covenant and a school outside it', () => {
    const orgs = directory.data.organisations;
    expect(orgs.some((o) => o.kind === 'gemeente' && o.covenant)).toBe(true);
    expect(orgs.some((o) => o.kind === 'school' && !o.covenant)).toBe(true);
  });

  it('gives several districts a wijkmanager with known hotspots', () => {
    const managed = directory.districts.filter((d) => d.wijkmanagers.length > 0);
    expect(managed.length).toBeGreaterThanOrEqual(3);
    for (const d of directory.districts) {
      expect(d.hotspots.length, d.name).toBeGreaterThan(0);
      for (const m of d.wijkmanagers) expect(directory.user(m)?.roles, d.name).toContain('wijkmanager');
    }
  });
});

describe('Playground users (.m365agentsplayground.yml)', () => {
  it('has the five users the Playground requires besides the current user, with unique ids', () => {
    expect(playground.users).toHaveLength(5);
    const people = playgroundPeople(playground);
    expect(new Set(people.map((p) => p.id)).size).toBe(people.length);
    expect(new Set(people.map((p) => p.aadObjectId)).size).toBe(people.length);
  });

  it('are all in the demo directory with the same object id', () => {
    for (const p of playgroundPeople(playground)) expect(directory.user(p.aadObjectId), `${p.name} (${p.aadObjectId})`).toBeDefined();
  });

  it('include partners of at least three organisations (of different kinds), so a newcomer can try each', () => {
    const partners = demoPeople(playground, directory).flatMap((p) => {
      const user = directory.user(p.objectId);
      return user?.roles.includes('partner') ? [user] : [];
    });
    const organisations = new Set(partners.map((u) => u.organisation));
    expect([...organisations].length, [...organisations].join(', ')).toBeGreaterThanOrEqual(3);
    const kinds = new Set([...organisations].map((id) => directory.organisation(id)!.kind));
    expect(kinds.size).toBeGreaterThanOrEqual(3);
    // Only covenant partners: a non-covenant party would see a reduced bot, not a role to try.
    for (const id of organisations) expect(directory.organisation(id)!.covenant, id).toBe(true);
  });

  it('show their role in their display name and cover every role together', () => {
    const people = demoPeople(playground, directory);
    const roles = new Set(people.flatMap((p) => p.directory?.roles ?? []));
    for (const role of ROLES) expect(roles.has(role), role).toBe(true);
    const shown: Record<string, RegExp> = {
      partner: /partner/,
      wijkmanager: /wijkmanager/,
      voorzitter: /voorzitter/,
      'regisseur-it': /regisseur/,
      beheerder: /beheerder/,
    };
    for (const p of people) {
      for (const role of p.directory!.roles) expect(p.playgroundName, p.playgroundName).toMatch(shown[role]!);
      // The person's own name leads the display name, as in the directory.
      expect(p.playgroundName.startsWith(p.directory!.name), p.playgroundName).toBe(true);
    }
  });

  it('use fixed GUIDs for tenant, bot and people', () => {
    expect(playground.tenantId).toMatch(GUID);
    expect(playground.bot.id).toMatch(GUID);
    expect(playground.bot.name).toBe('Overlastbot');
    expect(playground.team.aadGroupId).toMatch(GUID);
  });
});
