import type { Role } from '../../catalog/index.ts';
import type { SamlSettings } from './web-config.ts';

/**
 * Values of the role attribute in a verified SAML profile. node-saml gives a string for
 * one value and an array for several; anything that is not a string is ignored.
 */
export function attributeValues(attributes: Record<string, unknown>, name: string): string[] {
  const raw = attributes[name];
  const list = Array.isArray(raw) ? (raw as unknown[]) : [raw];
  return list.filter((v): v is string => typeof v === 'string');
}

/**
 * Roles through the configured mapping only: an attribute value that is not in the
 * mapping grants nothing (threat: an IdP-side group called "admin" becoming vmic admin).
 */
export function mapRoles(values: readonly string[], saml: SamlSettings): Role[] {
  const roles = new Set<Role>();
  for (const value of values) {
    if (!Object.hasOwn(saml.roleMapping, value)) continue;
    for (const role of saml.roleMapping[value]!) roles.add(role);
  }
  return [...roles].sort();
}
