import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** ADR 0001: only src/teams/ may import the Teams SDKs, so a move to another SDK stays one folder wide. */
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('Teams SDK seam', () => {
  it('keeps botbuilder and teams-ai imports inside src/teams/', () => {
    const offenders = files('src')
      .filter((f) => !f.startsWith(join('src', 'teams')))
      .filter((f) => /from\s+['"](botbuilder[^'"]*|@microsoft\/teams-ai[^'"]*|botframework-[^'"]*)['"]|require\(['"](botbuilder|@microsoft\/teams-ai)/.test(readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('has Teams code to guard (the check is not vacuous)', () => {
    const teams = files(join('src', 'teams')).filter((f) => /from\s+['"]botbuilder['"]/.test(readFileSync(f, 'utf8')));
    expect(teams.length).toBeGreaterThan(0);
  });
});
