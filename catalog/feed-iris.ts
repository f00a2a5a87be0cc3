/** IRIs and feed paths of an endorser on this instance (docs/design.md §2, §4). */
export function feedBase(publicUrl: string, endorser: string): string {
  return `${publicUrl}/feeds/${endorser}`;
}

export function catalogIri(publicUrl: string, endorser: string): string {
  return `${feedBase(publicUrl, endorser)}/catalog`;
}

export function endorserIri(publicUrl: string, endorser: string): string {
  return `${feedBase(publicUrl, endorser)}#endorser`;
}

export function imageIri(publicUrl: string, endorser: string, identifier: string): string {
  return `${feedBase(publicUrl, endorser)}/images/${encodeURIComponent(identifier)}`;
}
