import crypto from 'node:crypto';
import type { Instance } from '../../catalog/index.ts';
import { writeTransaction } from '../../catalog/store/write-transaction.ts';

/** `n` endorsed images of endorser 1, written straight into the store (no files). */
export async function insertBenchImages(inst: Instance, n: number): Promise<void> {
  await writeTransaction(inst.store, async (tx) => {
    const now = new Date().toISOString();
    for (let i = 0; i < n; i += 500) {
      await tx
        .insertInto('images')
        .values(
          Array.from({ length: Math.min(500, n - i) }, (_, k) => ({
            endorser_id: 1,
            identifier: `img-${i + k}`,
            title: `Bench image ${i + k}`,
            description: null,
            version: '1',
            os_family: 'linux',
            os_name: 'Bench',
            os_version: '1.0',
            arch: 'x86_64',
            hypervisor: 'kvm',
            format: 'qcow2',
            byte_size: 1024 * (i + k + 1),
            sha256: crypto
              .createHash('sha256')
              .update(String(i + k))
              .digest('hex'),
            sha512: null,
            download_url: `https://mirror.example/img-${i + k}.qcow2`,
            status: 'endorsed' as const,
            created_at: now,
            updated_at: now,
          })),
        )
        .execute();
    }
  });
}
