import type { Directory, OrganisationKind, Role } from './directory.js';

/** The person behind a turn, resolved from the directory. Everything the access policy needs. */
export interface Actor {
  /** Entra object id (directory user id). */
  id: string;
  name: string;
  roles: readonly Role[];
  organisation: {
    id: string;
    name: string;
    kind: OrganisationKind;
    covenant: boolean;
  };
  districts: readonly string[];
}

export function actorFromDirectory(directory: Directory, userId: string): Actor | undefined {
  const user = directory.user(userId);
  if (!user) return undefined;
  const org = directory.organisation(user.organisation);
  // The directory schema guarantees the organisation exists; be defensive all the same.
  if (!org) return undefined;
  return {
    id: user.id,
    name: user.name,
    roles: user.roles,
    organisation: { id: org.id, name: org.name, kind: org.kind, covenant: org.covenant },
    districts: user.districts,
  };
}

export function hasRole(actor: Actor, role: Role): boolean {
  return actor.roles.includes(role);
}

/**
 * The municipality's roles in the process: the wijkmanager (director at level overlast), the
 * Kerngroep chair and the Interventieteam regisseur. Police may share person data only with these (WPG).
 */
export function isMunicipalRole(actor: Actor): boolean {
  return actor.roles.some((r) => r === 'wijkmanager' || r === 'voorzitter' || r === 'regisseur-it');
}
