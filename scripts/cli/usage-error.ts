/** A mistake in how the command was called: exit code 2 (docs/design.md §5). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
