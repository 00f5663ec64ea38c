import type { ChannelDef } from '../../platform/storage/postgres/pg-channel';

/** What travels on the limiter's channel: a counter that went down (its key; null: some counter), or a rules version. */
export type LimiterNote = { readonly freed: string | null } | { readonly rules: number };

/**
 * The limiter's channel, as JSON (`{"freed":..}`, `{"rules":..}`). A freed key too long to send becomes "some counter
 * went down". An instance does not hear its own notes: it published its own writes where it made them.
 */
export const LIMITER_NOTES: ChannelDef<LimiterNote> = {
  name: 'limiter',
  codec: {
    encode: (note) => JSON.stringify(note),
    decode: (text) => {
      const note = JSON.parse(text) as { freed?: unknown; rules?: unknown };
      if (typeof note.rules === 'number') return { rules: note.rules };
      if (typeof note.freed === 'string' || note.freed === null) return { freed: note.freed };
      throw new Error('not a limiter note');
    },
    shrink: (note) => ('freed' in note ? { freed: null } : note),
  },
  ignoreOwn: true,
};
