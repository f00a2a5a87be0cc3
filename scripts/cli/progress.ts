/**
 * A progress bar on stderr while hashing or uploading large files; silent when stderr is
 * not a terminal (cron jobs and pipes get clean output).
 */
export function progressBar(
  label: string,
  total: number | undefined,
): { update: (bytes: number) => void; done: () => void } {
  const tty = process.stderr.isTTY === true;
  let last = 0;
  const draw = (bytes: number) => {
    const width = 30;
    const frac = total ? Math.min(1, bytes / total) : 0;
    const bar = total ? '#'.repeat(Math.round(frac * width)).padEnd(width, '.') : '';
    const pct = total ? `${(frac * 100).toFixed(0).padStart(3)}%` : '';
    process.stderr.write(`\r${label} [${bar}] ${pct} ${(bytes / 1024 ** 2).toFixed(1)} MiB`);
  };
  return {
    update(bytes) {
      if (!tty) return;
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      draw(bytes);
    },
    done() {
      if (tty) process.stderr.write('\n');
    },
  };
}
