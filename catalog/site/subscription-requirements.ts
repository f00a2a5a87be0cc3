import type { Instance } from '../instance.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { writeTransaction } from '../store/write-transaction.ts';
import { getSubscription, type Subscription } from './subscriptions.ts';
import { checkRequiredPolicies, type RequirementsInput } from './subscription-options.ts';

/**
 * `vmic subscription set NAME --require-policy IRI… | --no-require-policy
 * [--verify-provenance | --no-verify-provenance]`: changes what a subscription requires after
 * subscribing. What is not given stays. Audited with the values before, since dropping a
 * required policy makes images deployable that were refused (POLICY_NOT_MET) a moment ago.
 * Takes effect at the next gate question: the claims are already held from the last import.
 */
export async function setSubscriptionRequirements(
  inst: Instance,
  name: string,
  input: RequirementsInput,
  actor: string,
): Promise<Subscription> {
  const policies =
    input.requirePolicies === undefined
      ? undefined
      : checkRequiredPolicies(input.requirePolicies ?? []);
  return writeTransaction(inst.store, async (tx) => {
    const before = await getSubscription(tx, name);
    const set = {
      ...(policies !== undefined
        ? { require_policies: policies.length ? JSON.stringify(policies) : null }
        : {}),
      ...(input.verifyProvenance !== undefined
        ? { verify_provenance: input.verifyProvenance ? 1 : 0 }
        : {}),
    };
    if (Object.keys(set).length === 0) return before;
    await tx.updateTable('subscriptions').set(set).where('id', '=', before.id).execute();
    const after = await getSubscription(tx, name);
    await appendAudit(tx, {
      at: inst.now(),
      actor,
      action: 'subscription.policies-set',
      subject: name,
      details: {
        requirePolicies: after.requirePolicies,
        verifyProvenance: after.verifyProvenance,
        previous: {
          requirePolicies: before.requirePolicies,
          verifyProvenance: before.verifyProvenance,
        },
      },
    });
    return after;
  });
}
