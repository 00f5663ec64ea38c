import { parseTags, type Tags } from '../../../common/tags';
import { ApiKeyValues } from '../../../platform/http/dto/api-properties';
import { ParsedBy } from '../../../platform/http/dto/parsed-by';
import { parseAnyTags, parseCounters } from '../../domain/validate';
import type { CounterChange } from '../../limiter.port';
import { ApiCounters } from './api-limiter-properties';

const atLeastOne = (v: unknown, p: string) => parseCounters(v, p, 1);

/** Increment or decrement: client counters may not use reserved `_` keys. */
export class CounterChangeBody {
  /** The counter's tag set; 1-64 keys, none starting with `_` or `$`. */
  @ApiKeyValues()
  @ParsedBy((v, p) => parseTags(v, p))
  readonly KeyValues!: Tags;

  /** How many to add or subtract (1 to 1000000000). Default 1. */
  @ApiCounters()
  @ParsedBy(atLeastOne, { optional: true })
  readonly Counters?: number;

  toCommand(): CounterChange {
    return { tags: this.KeyValues, counters: this.Counters ?? 1 };
  }
}

/** Administration and reconciliation: may name reserved `_` keys (Willow's own counters). */
export class SetCounterBody {
  /** The counter's tag set; 1-64 keys, reserved `_` keys allowed. */
  @ApiKeyValues()
  @ParsedBy(parseAnyTags)
  readonly KeyValues!: Tags;

  /** The exact value (0 to 1000000000; 0 removes the counter). */
  @ApiCounters({ minimum: 0, required: true, example: 3 })
  @ParsedBy((v, p) => parseCounters(v, p, 0))
  readonly Counters!: number;

  toCommand(): CounterChange {
    return { tags: this.KeyValues, counters: this.Counters };
  }
}

export class ExplainBody {
  /** The tag set to explain; reserved `_` keys allowed (explaining changes nothing). */
  @ApiKeyValues()
  @ParsedBy(parseAnyTags)
  readonly KeyValues!: Tags;

  /** How many more counters to check for (1 to 1000000000). Default 1. */
  @ApiCounters()
  @ParsedBy(atLeastOne, { optional: true })
  readonly Counters?: number;

  toCommand(): CounterChange {
    return { tags: this.KeyValues, counters: this.Counters ?? 1 };
  }
}
