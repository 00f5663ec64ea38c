import { ApiProperty } from '@nestjs/swagger';
import type { Tags } from '../../../common/tags';
import { ApiKeyValues } from '../../../platform/http/dto/api-properties';
import type { CounterValue, Explanation, LimitCheck } from '../../limiter.port';
import { ApiLimit } from './api-limiter-properties';

export class CounterResponse {
  /** The counter's tag set. */
  @ApiKeyValues()
  readonly KeyValues!: Tags;
  /** The counter's value after the change (0 = removed). */
  readonly Counters!: number;

  static from(counter: CounterValue): CounterResponse {
    return { KeyValues: counter.tags, Counters: counter.counters };
  }
}

export class LimitCheckResponse {
  /** The rule that enforces this limit. */
  readonly Rule!: string;
  /** The override whose Limit applies; absent when it is the rule's own. */
  readonly Override?: string;
  /** The rule's GroupBy keys. */
  readonly GroupBy!: string[];
  /** This limit: -1 unlimited, 0 nothing allowed, n at most n. */
  @ApiLimit()
  readonly Limit!: number;
  /** Sum of the counters sharing this limit's key values, now. */
  readonly Count!: number;
  /** Whether `Counters` more fit under this limit. */
  readonly Allowed!: boolean;

  static from(check: LimitCheck): LimitCheckResponse {
    return {
      Rule: check.rule,
      ...(check.override === null ? {} : { Override: check.override }),
      GroupBy: [...check.groupBy],
      Limit: check.limit,
      Count: check.count,
      Allowed: check.allowed,
    };
  }
}

export class ExplanationResponse {
  /** The tag set explained. */
  @ApiKeyValues()
  readonly KeyValues!: Tags;
  /** Whether an increment by `Counters` would be allowed now. */
  readonly Allowed!: boolean;
  /** Every enforced limit, ordered by rule name, then override name. */
  readonly Limits!: LimitCheckResponse[];

  static from(explanation: Explanation): ExplanationResponse {
    return { KeyValues: explanation.tags, Allowed: explanation.allowed, Limits: explanation.limits.map(LimitCheckResponse.from) };
  }
}

/** Body of 409 LIMIT_REACHED: the first refusing limit (rules by name, then overrides by name). */
export class LimitReachedResponse {
  /** What is wrong and how to fix it. */
  readonly Message!: string;
  /** Always LIMIT_REACHED. */
  @ApiProperty({ example: 'LIMIT_REACHED' })
  readonly Code!: string;
  /** The refusing rule. */
  readonly Rule!: string;
  /** The refusing override; absent when the rule's own limit refused. */
  readonly Override?: string;
  /** The refusing limit. */
  @ApiLimit()
  readonly Limit!: number;
  /** The count before the refused increment. */
  readonly Count!: number;
}
