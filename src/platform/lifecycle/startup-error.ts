/** A start-up fault the operator must fix (data directory, port): main.ts prints its message alone and exits 1. */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}
