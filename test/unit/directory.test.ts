import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DirectoryError, loadDirectory, parseDirectory } from '../../src/domain/directory.js';

function problems(text: string): string[] {
  try {
    parseDirectory(text, 'dir.yaml');
  } catch (err) {
    if (err instanceof DirectoryError) return err.problems;
    throw err;
  }
  throw new Error('expected the directory to be refused');
}

const valid = readFileSync('test/fixtures/directory.yaml', 'utf8');

describe('directory', () => {
  it('parses the YAML fixture and answers lookups', () => {
    const d = loadDirectory('test/fixtures/directory.yaml');
    expect(d.user('u-politie')?.organisation).toBe('politie');
    expect(d.organisation('school')?.covenant).toBe(false);
    expect(d.district('crabbehof')?.hotspots).toContain('Sumatraplein');
    expect(d.usersWithRole('wijkmanager').map((u) => u.id).sort()).toEqual(['u-wijkmanager', 'u-wijkmanager-2']);
    // No contacts named: everybody of the organisation is reached.
    expect(d.contactsOf('politie').map((u) => u.id)).toEqual(['u-politie']);
    expect(d.administrators().map((u) => u.name)).toEqual(['Bea Beheerder']);
  });

  it('accepts JSON as well', () => {
    const json = JSON.stringify({
      organisations: [{ id: 'o', name: 'O', kind: 'politie', covenant: true }],
      districts: [{ id: 'w', name: 'W' }],
      users: [{ id: 'u', name: 'U', organisation: 'o', roles: ['partner'] }],
    });
    expect(parseDirectory(json).user('u')?.roles).toEqual(['partner']);
  });

  it('names the line and field of a wrong value', () => {
    const text = valid.replace('kind: handhaving', 'kind: brandweer');
    const [p] = problems(text);
    expect(p).toMatch(/^dir\.yaml: regel 4 \(organisations\[1\]\.kind\): /);
  });

  it('refuses references to unknown organisations, districts and users', () => {
    const text = [
      'organisations:',
      '  - id: o1',
      '    name: Org',
      '    kind: politie',
      '    covenant: true',
      '    contacts: [ghost]',
      'districts:',
      '  - id: w1',
      '    name: Wijk',
      '    wijkmanagers: [nobody]',
      'users:',
      '  - id: u1',
      '    name: User',
      '    organisation: o2',
      '    roles: [partner]',
      '    districts: [w9]',
    ].join('\n');
    expect(problems(text).sort()).toEqual(
      [
        'dir.yaml: regel 10 (districts[0].wijkmanagers[0]): onbekende gebruiker "nobody"',
        'dir.yaml: regel 14 (users[0].organisation): onbekende organisatie "o2"',
        'dir.yaml: regel 16 (users[0].districts[0]): onbekende wijk "w9"',
        'dir.yaml: regel 6 (organisations[0].contacts[0]): onbekende gebruiker "ghost"',
      ].sort(),
    );
  });

  it('refuses duplicate ids, unknown roles and unknown fields', () => {
    const dup = valid.replace('id: u-handhaving', 'id: u-politie');
    expect(problems(dup).some((p) => p.includes('dubbele gebruikers-id "u-politie"'))).toBe(true);
    const role = valid.replace('roles: [regisseur-it]', 'roles: [koning]');
    expect(problems(role).some((p) => /users\[9\]\.roles\[0\]/.test(p))).toBe(true);
    const extra = valid.replace('{ id: school,', '{ colour: red, id: school,');
    expect(problems(extra).some((p) => p.includes('organisations[6]') && p.includes('colour'))).toBe(true);
  });

  it('reports broken YAML with its line', () => {
    const [p] = problems('organisations:\n  - { id: x\nusers: []');
    expect(p).toMatch(/^dir\.yaml: regel \d+: ongeldige YAML\/JSON/);
  });

  it('reports a missing file clearly', () => {
    expect(() => loadDirectory('/nonexistent/dir.yaml')).toThrow(/kan het bestand niet lezen \(ENOENT\)/);
  });
});
