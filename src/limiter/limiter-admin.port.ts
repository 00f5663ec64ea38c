import type { Page, PageRequest } from '../common/page';
import type { Tags } from '../common/tags';

export interface OverrideInfo {
  readonly name: string;
  /** Every GroupBy key of its rule, and possibly more keys. */
  readonly keyValues: Tags;
  /** -1 unlimited, 0 nothing, n at most n. */
  readonly limit: number;
}

export interface RuleInfo {
  readonly name: string;
  /** In the order the rule was created with; identity is the set. */
  readonly groupBy: readonly string[];
  readonly limit: number;
  /** Sorted by name. */
  readonly overrides: readonly OverrideInfo[];
}

export interface CreateRule {
  readonly name: string;
  readonly groupBy: readonly string[];
  readonly limit: number;
}

export interface CreateOverride {
  readonly rule: string;
  readonly name: string;
  readonly keyValues: Tags;
  readonly limit: number;
}

export interface RuleRef {
  readonly name: string;
}

export interface OverrideRef {
  readonly rule: string;
  readonly name: string;
}

/**
 * Administration of the Limiter's rules and overrides. In-process: LimiterAdminService. Every change is durable
 * once the promise resolves, and publishes `{tags: null}` on `LimiterPort.capacityFreed$`. Inputs are checked
 * with the kernel parsers (INVALID_INPUT), so callers without the HTTP DTOs get the same errors.
 */
export interface LimiterAdminPort {
  /** Creates a rule; its counts over existing counters are computed at once. ALREADY_EXISTS for a taken name or a
   * GroupBy set (order ignored) another rule already has. */
  createRule(cmd: CreateRule): Promise<RuleInfo>;
  /** RULE_NOT_FOUND when unknown. */
  getRule(ref: RuleRef): Promise<RuleInfo>;
  /** Rules with their overrides, sorted by name; the cursor is the last name answered. */
  listRules(page: PageRequest): Promise<Page<RuleInfo>>;
  /** Changes the rule's own limit (GroupBy is immutable). RULE_NOT_FOUND. */
  updateRuleLimit(cmd: RuleRef & { readonly limit: number }): Promise<RuleInfo>;
  /** Deletes the rule and its overrides; counters stay. RULE_NOT_FOUND. */
  deleteRule(ref: RuleRef): Promise<void>;
  /** RULE_NOT_FOUND; INVALID_INPUT when KeyValues lack a GroupBy key; ALREADY_EXISTS for a taken name or the same
   * KeyValues under this rule. */
  createOverride(cmd: CreateOverride): Promise<OverrideInfo>;
  /** RULE_NOT_FOUND, OVERRIDE_NOT_FOUND. */
  getOverride(ref: OverrideRef): Promise<OverrideInfo>;
  /** The rule's overrides sorted by name. RULE_NOT_FOUND. */
  listOverrides(ref: RuleRef, page: PageRequest): Promise<Page<OverrideInfo>>;
  /** RULE_NOT_FOUND, OVERRIDE_NOT_FOUND. */
  updateOverrideLimit(cmd: OverrideRef & { readonly limit: number }): Promise<OverrideInfo>;
  /** Deletes one override; counters stay. RULE_NOT_FOUND, OVERRIDE_NOT_FOUND. */
  deleteOverride(ref: OverrideRef): Promise<void>;
}

export const LIMITER_ADMIN_PORT = Symbol('LimiterAdminPort');
