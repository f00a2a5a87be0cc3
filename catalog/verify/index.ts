export { trustedSignerChain } from './chain.ts';
export {
  checkClock,
  checkFreshness,
  checkValidity,
  ISSUED_CLOCK_SKEW_MS,
  MANIFEST_WINDOW_MS,
  type Freshness,
} from './freshness.ts';
export { checkOrder, checkSequence, type Order, type SequenceOrder } from './order.ts';
export {
  checkCertificatePin,
  checkIssuerPin,
  checkSignerPin,
  issuerOf,
  peerPinRules,
  spkiKeyId,
  SUBSCRIPTION_PIN_RULES,
  type IssuerIdentity,
  type PinRules,
  type SignerPin,
} from './pins.ts';
export {
  verifySignedDocument,
  type SignedFormat,
  type SignedDocumentCheck,
  type VerifiedDocument,
} from './signed-document.ts';
