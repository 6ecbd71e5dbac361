import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonLengthBound } from '../../src/cards/elements.js';
import { NOT_SAMPLED, SAMPLES_DIR, TEAMS_MAX_ACTIONS, cardSamples, checkSamples, sdkProblems } from '../../scripts/card-samples.js';

/**
 * adaptive-cards/ holds generated samples of the cards the bot sends (`npm run cards`); the source of
 * truth is src/cards/ (docs/adr/0002-cards-in-code.md). These tests keep the folder true.
 */

const samples = cardSamples();

describe('adaptive-cards/ samples', () => {
  it('are what the code builds now (otherwise: run `npm run cards`)', () => {
    const result = checkSamples(SAMPLES_DIR, samples);
    expect({ stale: result.stale, missing: result.missing, notGenerated: result.extra }, 'adaptive-cards/ is out of date: run `npm run cards`').toEqual({
      stale: [],
      missing: [],
      notGenerated: [],
    });
  });

  it('are each accepted by the Adaptive Cards SDK as 1.5 cards (pasteable into the Designer)', () => {
    for (const s of samples) {
      expect(sdkProblems(s.card), s.file).toEqual([]);
      expect(s.card).toMatchObject({ type: 'AdaptiveCard', version: '1.5', $schema: 'http://adaptivecards.io/schemas/adaptive-card.json' });
    }
    expect(new Set(samples.map((s) => s.file)).size).toBe(samples.length);
  });

  it('each stay within the cheap size bound the case card uses to skip measuring (src/cards/elements.ts)', () => {
    for (const s of samples) {
      const bound = jsonLengthBound(s.card);
      expect(bound, s.file).toBeGreaterThanOrEqual(JSON.stringify(s.card).length);
      expect(bound, s.file).toBeLessThan(4 * JSON.stringify(s.card).length);
    }
  });

  it('are each listed in adaptive-cards/README.md', () => {
    const readme = readFileSync(join(SAMPLES_DIR, 'README.md'), 'utf8');
    for (const s of samples) expect(readme, s.file).toContain(`[\`${s.file}\`](${s.file})`);
  });

  it('cover every card builder in src/cards/, or say why not', () => {
    const builders = readdirSync('src/cards')
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) => [...readFileSync(join('src/cards', f), 'utf8').matchAll(/^export function (\w+Card)\(/gm)].map((m) => m[1]!));
    expect(builders.length).toBeGreaterThan(20);
    const sampled = new Set(samples.map((s) => s.source.split(' ')[0]!));
    const uncovered = builders.filter((b) => !sampled.has(b) && !(b in NOT_SAMPLED));
    expect(uncovered, 'add a sample to scripts/card-samples.ts (or a reason to NOT_SAMPLED)').toEqual([]);
    for (const name of [...sampled, ...Object.keys(NOT_SAMPLED)]) expect(builders, name).toContain(name);
  });

  it('contain fictional people only', () => {
    const everything = samples.map((s) => JSON.stringify(s.card)).join('\n');
    // Professionals come from test/fixtures/directory.yaml; case subjects are "Testpersoon".
    const fixtures = readFileSync('test/fixtures/directory.yaml', 'utf8');
    for (const name of everything.match(/\b(?:Petra|Jamal|Willem|Wendy|Vera|Karel)\s+\w+/g) ?? []) {
      expect(fixtures.includes(name) || name.endsWith('Testpersoon'), name).toBe(true);
    }
    expect(everything).not.toMatch(/\b\d{9}\b/); // nothing that looks like a BSN
    expect(everything).not.toMatch(/@(?!dordrecht-demo\.example)[\w.-]+\.\w+/); // no e-mail addresses
  });
});

describe('the SDK check itself', () => {
  const withActions = (n: number) => ({
    type: 'AdaptiveCard',
    version: '1.5',
    body: [{ type: 'TextBlock', text: 'x' }],
    actions: Array.from({ length: n }, (_, i) => ({ type: 'Action.Execute', title: `a${i}`, verb: 'v' })),
  });

  it('reports what it cannot understand, and more actions than Teams shows', () => {
    expect(sdkProblems({ type: 'AdaptiveCard', version: '1.5', body: [{ type: 'Input.Bogus', id: 'x' }] })).not.toEqual([]);
    expect(sdkProblems({ type: 'AdaptiveCard', version: '1.5', body: [{ type: 'Input.Text', id: 'r', isRequired: true }] })).not.toEqual([]);
    expect(sdkProblems(withActions(TEAMS_MAX_ACTIONS))).toEqual([]);
    expect(sdkProblems(withActions(TEAMS_MAX_ACTIONS + 1))).not.toEqual([]);
  });
});
