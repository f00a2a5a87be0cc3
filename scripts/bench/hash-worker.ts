// Runs vmic's streaming hash path on one file in its own process, so that its peak RSS is
// measured alone. Prints one JSON line.
import { hashFile } from '../../catalog/blobs/digest.ts';

const file = process.argv[2];
if (!file) throw new Error('usage: hash-worker FILE');
const start = process.hrtime.bigint();
const digest = await hashFile(file);
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
process.stdout.write(
  JSON.stringify({ ...digest, seconds, maxRssBytes: process.resourceUsage().maxRSS * 1024 }) + '\n',
);
