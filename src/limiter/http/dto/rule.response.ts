import type { Tags } from '../../../common/tags';
import { ApiKeyValues } from '../../../platform/http/dto/api-properties';
import type { OverrideInfo, RuleInfo } from '../../limiter-admin.port';
import { ApiLimit } from './api-limiter-properties';

export class OverrideResponse {
  /** Unique within its rule. */
  readonly Name!: string;
  /** Every GroupBy key of the rule, and possibly more. */
  @ApiKeyValues({ example: { repo_name: 'willow', branch_name: 'main' } })
  readonly KeyValues!: Tags;
  /** -1 unlimited, 0 nothing allowed, n at most n. */
  @ApiLimit({ example: 9001 })
  readonly Limit!: number;

  static from(o: OverrideInfo): OverrideResponse {
    return { Name: o.name, KeyValues: o.keyValues, Limit: o.limit };
  }
}

export class RuleResponse {
  /** Unique rule name. */
  readonly Name!: string;
  /** The keys that form a group, in the order the rule was created with. */
  readonly GroupBy!: string[];
  /** The rule's own limit per group; ignored for a counter that an override applies to. */
  @ApiLimit({ example: 1 })
  readonly Limit!: number;
  /** The rule's overrides, sorted by Name. */
  readonly Overrides!: OverrideResponse[];

  static from(rule: RuleInfo): RuleResponse {
    return { Name: rule.name, GroupBy: [...rule.groupBy], Limit: rule.limit, Overrides: rule.overrides.map(OverrideResponse.from) };
  }
}
