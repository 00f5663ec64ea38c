/**
 * What a conformance suite receives from a runner, whatever the implementation behind a port: SQLite on `:memory:`
 * or a temp dir today, a fresh PostgreSQL schema or an RPC client tomorrow.
 */
export interface Fixture<T> {
  /** The implementation under test. After `reopen` it is the reopened one. */
  readonly sut: T;
  /**
   * Closes the implementation and opens a new one on the same durable state (a restart). Absent where nothing
   * outlives a close (`:memory:`).
   */
  reopen?(): Promise<T>;
  /** Closes the implementation and removes everything it left behind (files, schemas, connections). */
  dispose(): Promise<void>;
}

/** Builds a fresh, isolated fixture; called once per test. */
export type FixtureFactory<T> = () => Promise<Fixture<T>>;
