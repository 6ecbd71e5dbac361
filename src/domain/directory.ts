import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { isMap, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { nl } from '../i18n/nl.js';

const t = nl.directory;

/** Who is who: organisations, districts (wijken) and users. Validated from a YAML or JSON file. */

export const ORGANISATION_KINDS = [
  'politie',
  'handhaving',
  'jongerenwerk',
  'buurtwerk',
  'woningcorporatie',
  'leerplicht',
  'sociaal-wijkteam',
  'werkshop',
  'halt',
  'meldpunt-zorg-overlast',
  'zvh',
  'gemeente',
  'jeugdbescherming',
  'om',
  'reclassering',
  'riec',
  'cjib',
  'brp',
  'jpt',
  'school',
  'overig',
] as const;
export type OrganisationKind = (typeof ORGANISATION_KINDS)[number];

export const ROLES = ['partner', 'wijkmanager', 'voorzitter', 'regisseur-it', 'beheerder'] as const;
export type Role = (typeof ROLES)[number];

const id = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9._:@-]+$/, t.idCharacters);

export const organisationSchema = z
  .object({
    id,
    name: z.string().min(1).max(200),
    kind: z.enum(ORGANISATION_KINDS),
    /** Signed the data-sharing covenant: only then may it ever see personal data. */
    covenant: z.boolean(),
    /** Users (object ids) who receive what is addressed to the organisation as a whole. */
    contacts: z.array(id).default([]),
  })
  .strict();

export const districtSchema = z
  .object({
    id,
    name: z.string().min(1).max(200),
    wijkmanagers: z.array(id).default([]),
    /** Known hotspots, offered as location choices on the signal form. */
    hotspots: z.array(z.string().min(1).max(200)).default([]),
  })
  .strict();

export const userSchema = z
  .object({
    /** Entra (Azure AD) object id: `from.aadObjectId` in Teams activities. */
    id,
    name: z.string().min(1).max(200),
    organisation: id,
    roles: z.array(z.enum(ROLES)).min(1),
    districts: z.array(id).default([]),
  })
  .strict();

export const directorySchema = z
  .object({
    organisations: z.array(organisationSchema).min(1),
    districts: z.array(districtSchema).min(1),
    users: z.array(userSchema).min(1),
  })
  .strict()
  .superRefine((d, ctx) => {
    const orgIds = new Set<string>();
    d.organisations.forEach((o, i) => {
      if (orgIds.has(o.id)) ctx.addIssue({ code: 'custom', path: ['organisations', i, 'id'], message: t.duplicateOrganisation(o.id) });
      orgIds.add(o.id);
    });
    const userIds = new Set<string>();
    d.users.forEach((u, i) => {
      if (userIds.has(u.id)) ctx.addIssue({ code: 'custom', path: ['users', i, 'id'], message: t.duplicateUser(u.id) });
      userIds.add(u.id);
    });
    const districtIds = new Set<string>();
    d.districts.forEach((w, i) => {
      if (districtIds.has(w.id)) ctx.addIssue({ code: 'custom', path: ['districts', i, 'id'], message: t.duplicateDistrict(w.id) });
      districtIds.add(w.id);
      w.wijkmanagers.forEach((m, j) => {
        if (!userIds.has(m)) ctx.addIssue({ code: 'custom', path: ['districts', i, 'wijkmanagers', j], message: t.unknownUser(m) });
      });
    });
    d.users.forEach((u, i) => {
      if (!orgIds.has(u.organisation)) ctx.addIssue({ code: 'custom', path: ['users', i, 'organisation'], message: t.unknownOrganisation(u.organisation) });
      u.districts.forEach((w, j) => {
        if (!districtIds.has(w)) ctx.addIssue({ code: 'custom', path: ['users', i, 'districts', j], message: t.unknownDistrict(w) });
      });
    });
    d.organisations.forEach((o, i) => {
      o.contacts.forEach((c, j) => {
        if (!userIds.has(c)) ctx.addIssue({ code: 'custom', path: ['organisations', i, 'contacts', j], message: t.unknownUser(c) });
      });
    });
  });

export type Organisation = z.infer<typeof organisationSchema>;
export type District = z.infer<typeof districtSchema>;
export type DirectoryUser = z.infer<typeof userSchema>;
export type DirectoryData = z.infer<typeof directorySchema>;

/** Read-only lookups over a validated directory. */
export class Directory {
  private readonly usersById: Map<string, DirectoryUser>;
  private readonly orgsById: Map<string, Organisation>;
  private readonly districtsById: Map<string, District>;

  constructor(readonly data: DirectoryData) {
    this.usersById = new Map(data.users.map((u) => [u.id, u]));
    this.orgsById = new Map(data.organisations.map((o) => [o.id, o]));
    this.districtsById = new Map(data.districts.map((d) => [d.id, d]));
  }

  user(id: string): DirectoryUser | undefined {
    return this.usersById.get(id);
  }
  organisation(id: string): Organisation | undefined {
    return this.orgsById.get(id);
  }
  district(id: string): District | undefined {
    return this.districtsById.get(id);
  }
  get districts(): readonly District[] {
    return this.data.districts;
  }
  get organisations(): readonly Organisation[] {
    return this.data.organisations;
  }
  usersWithRole(role: Role): DirectoryUser[] {
    return this.data.users.filter((u) => u.roles.includes(role));
  }
  usersOf(organisationId: string): DirectoryUser[] {
    return this.data.users.filter((u) => u.organisation === organisationId);
  }
  /** Who receives what is addressed to an organisation: its contacts, else all its users. */
  contactsOf(organisationId: string): DirectoryUser[] {
    const org = this.orgsById.get(organisationId);
    if (!org) return [];
    const named = org.contacts.map((c) => this.usersById.get(c)).filter((u): u is DirectoryUser => !!u);
    return named.length > 0 ? named : this.usersOf(organisationId);
  }
  /** Beheerders, to name in the "not registered" message. */
  administrators(): DirectoryUser[] {
    return this.usersWithRole('beheerder');
  }
}

export class DirectoryError extends Error {
  override readonly name = 'DirectoryError';
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

/**
 * Parses YAML or JSON (JSON is YAML) and validates it. Every problem names the file line and the
 * field path, e.g. `regel 12 (users[2].organisation): onbekende organisatie "x"`.
 */
export function parseDirectory(text: string, source = 'directory'): Directory {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new DirectoryError(
      doc.errors.map((e) => {
        const pos = e.pos?.[0] !== undefined ? lineCounter.linePos(e.pos[0]) : undefined;
        return nl.files.invalidYamlAtLine(source, pos?.line, e.message.split('\n')[0] ?? '');
      }),
    );
  }
  const result = directorySchema.safeParse(doc.toJS());
  if (result.success) return new Directory(result.data);
  throw new DirectoryError(
    result.error.issues.map((issue) => {
      const line = lineOf(doc.contents, issue.path, lineCounter);
      return nl.files.problem(source, formatPath(issue.path), issue.message, line ?? '?');
    }),
  );
}

export function loadDirectory(file: string): Directory {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new DirectoryError([nl.files.cannotRead(file, (err as NodeJS.ErrnoException).code)]);
  }
  return parseDirectory(text, file);
}

function formatPath(path: readonly (string | number)[]): string {
  return path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
}

/** Line of the deepest node along `path` that exists in the document. */
function lineOf(root: unknown, path: readonly (string | number)[], lc: LineCounter): number | undefined {
  let node = root as YamlNode | null | undefined;
  let line = rangeLine(node, lc);
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((it) => (it.key as { value?: unknown } | null)?.value === key);
      if (!pair) break;
      line = rangeLine(pair.key as YamlNode, lc) ?? line;
      node = pair.value as YamlNode;
    } else if (isSeq(node) && typeof key === 'number') {
      node = node.items[key] as YamlNode;
      line = rangeLine(node, lc) ?? line;
    } else break;
  }
  return line;
}

function rangeLine(node: unknown, lc: LineCounter): number | undefined {
  const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
  return range ? lc.linePos(range[0]).line : undefined;
}
