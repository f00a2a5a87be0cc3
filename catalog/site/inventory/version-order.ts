import semver from 'semver';
import { compareDebianVersions } from './dpkg-version.ts';
import { compareGenericVersions } from './generic-version.ts';
import { compareRpmVersions } from './rpm-version.ts';

/**
 * Which ordering a package's versions follow, by its package URL type: Debian (dpkg),
 * RPM (rpmvercmp), npm (semver), anything else (or no purl at all) the generic one.
 */
export type VersionScheme = 'deb' | 'rpm' | 'npm' | 'generic';

export function schemeOf(type: string | null | undefined): VersionScheme {
  switch (type?.toLowerCase()) {
    case 'deb':
      return 'deb';
    case 'rpm':
      return 'rpm';
    case 'npm':
      return 'npm';
    default:
      return 'generic';
  }
}

/** <0, 0, >0. An npm version that is not semver falls back to the generic order. */
export function compareVersions(scheme: VersionScheme, a: string, b: string): number {
  switch (scheme) {
    case 'deb':
      return compareDebianVersions(a, b);
    case 'rpm':
      return compareRpmVersions(a, b);
    case 'npm': {
      const x = semver.valid(a, { loose: true });
      const y = semver.valid(b, { loose: true });
      if (x !== null && y !== null) return semver.compare(x, y, { loose: true });
      return compareGenericVersions(a, b);
    }
    default:
      return compareGenericVersions(a, b);
  }
}
