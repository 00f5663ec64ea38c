/** Injection token of the `Clock` (common/clock.ts); tests bind a FakeClock. */
export const CLOCK = Symbol('Clock');
