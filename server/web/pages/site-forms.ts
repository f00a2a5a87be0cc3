import { Type } from '@sinclair/typebox';
import { ENDORSER_NAME } from '../../../catalog/names.ts';
import { FormInteger, FormText } from './form-input.ts';

/** The forms of the site pages, as their handlers receive them. */

/** Subscription names share the endorser-name alphabet; the message is the API's own. */
const subscriptionName = () =>
  FormText({
    pattern: ENDORSER_NAME,
    description: 'subscription name must be 1-64 lowercase letters, digits or -',
  });

/** PEM certificates and CRLs for the trust store. */
export const TrustForm = Type.Object({ pem: FormText({ label: 'PEM text' }) });

export const SubscribeForm = Type.Object({
  url: FormText({ label: 'Feed URL' }),
  expectSubject: FormText({ label: 'Pinned subject DN' }),
  expectIssuer: Type.Optional(FormText()),
  name: Type.Optional(FormText()),
  log: Type.Optional(
    Type.Union([Type.Literal('require'), Type.Literal('warn'), Type.Literal('off')], {
      title: 'Transparency log',
      description: 'Transparency log must be require, warn or off',
    }),
  ),
  logKey: Type.Optional(FormText({ label: 'Log key' })),
  /** One witness a line, `KEY` or `KEY,URL` (witnessLines). */
  witnesses: Type.Optional(FormText({ label: 'Witnesses' })),
  witnessQuorum: Type.Optional(FormInteger({ min: 0, max: 16, label: 'Witness quorum' })),
  ...requirementFields(),
});

/**
 * What a subscription requires (catalog/site/subscription-options.ts): policy IRIs one a
 * line (witnessLines splits them too), and the provenance checkbox (`on` when ticked).
 */
function requirementFields() {
  return {
    requirePolicies: Type.Optional(FormText({ label: 'Required policies', asTyped: true })),
    verifyProvenance: Type.Optional(Type.Literal('on', { title: 'Verify provenance' })),
  };
}

/** Changing a subscription's requirements after subscribing: the whole set, as shown. */
export const RequirementsForm = Type.Object(requirementFields());

/** The witnesses textarea: one `KEY` or `KEY,URL` a line; blank lines are skipped. */
export function witnessLines(text: string | undefined): string[] {
  return (text ?? '')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

/** Approving (or revoking) a whole subscription: given, it decides the form's meaning. */
export const EndorserApprovalForm = Type.Object({ endorser: Type.Optional(subscriptionName()) });

/** Approving (or revoking) one image, by identifier or `sha256:HEX`, within a subscription. */
export const ImageApprovalForm = Type.Object({
  image: FormText({ label: 'Image' }),
  subscription: Type.Optional(subscriptionName()),
});
