import type { Tags } from '../../../common/tags';
import { ApiKeyValues } from '../../../platform/http/dto/api-properties';
import { parseCounterChange, parseExplain, parseSetCounter } from '../../domain/validate-counters';
import type { CounterChange } from '../../limiter.port';
import { ApiCounters } from './api-limiter-properties';
import { commandOf } from '../../../platform/http/dto/dto-instance';

/** Increment or decrement, judged by `parseCounterChange`: client counters may not use reserved `_` keys. */
export class CounterChangeBody {
  static readonly parse = parseCounterChange;

  /** The counter's tag set; 1-64 keys, none starting with `_` or `$`. */
  @ApiKeyValues()
  readonly KeyValues!: Tags;

  /** How many to add or subtract (1 to 1000000000). Default 1. */
  @ApiCounters()
  readonly Counters?: number;

  toCommand(): CounterChange {
    return commandOf(this, parseCounterChange);
  }
}

/** Administration and reconciliation, judged by `parseSetCounter`: may name reserved `_` keys (Willow's own counters). */
export class SetCounterBody {
  static readonly parse = parseSetCounter;

  /** The counter's tag set; 1-64 keys, reserved `_` keys allowed. */
  @ApiKeyValues()
  readonly KeyValues!: Tags;

  /** The exact value (0 to 1000000000; 0 removes the counter). */
  @ApiCounters({ minimum: 0, required: true, example: 3 })
  readonly Counters!: number;

  toCommand(): CounterChange {
    return commandOf(this, parseSetCounter);
  }
}

/** Judged by `parseExplain`. */
export class ExplainBody {
  static readonly parse = parseExplain;

  /** The tag set to explain; reserved `_` keys allowed (explaining changes nothing). */
  @ApiKeyValues()
  readonly KeyValues!: Tags;

  /** How many more counters to check for (1 to 1000000000). Default 1. */
  @ApiCounters()
  readonly Counters?: number;

  toCommand(): CounterChange {
    return commandOf(this, parseExplain);
  }
}
