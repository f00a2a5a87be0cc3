/**
 * The x509-limbo cases where vmic's verdict differs from the corpus, shared by the corpus
 * test (the validation function) and the `vmic pki verify` test (the command). Each: the
 * rule, and why vmic differs. None is a case where vmic accepts a chain the corpus
 * rejects, except for a DNS name vmic never checks.
 */
export const ALLOWED: Record<string, string> = {
  // Corpus rejects only because the CA-as-leaf's SAN does not match the expected peer
  // name (example.com): a TLS hostname check, which vmic does not do.
  'rfc5280::ca-as-leaf-wrong-san': 'hostname (expected_peer_name) not checked by vmic',
  // The anchor "Root A" is issued by another CA but has no authorityKeyIdentifier;
  // RFC 5280 §4.2.1.1 requires one, and rfc5280::aki::cross-signed-root-missing-aki
  // expects exactly this to fail. The two cases contradict; vmic follows the RFC case
  // (stricter: rejects).
  'cve::cve-2024-0567': 'authorityKeyIdentifier missing on a non-self-issued anchor',
};
