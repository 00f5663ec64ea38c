import { Inject, Injectable } from '@nestjs/common';
import { isName } from '../common/names';
import type { Page, PageRequest } from '../common/page';
import { compareCodePoints } from '../common/tags';
import { CapacityEvents } from './capacity-events';
import { OverrideNotFoundError, RuleNotFoundError } from './domain/limiter.errors';
import type { OverrideDef, RuleDef } from './domain/rule-book';
import { checkNewOverride, checkNewRule, parseLimit } from './domain/validate';
import { LIMITER_STORE, type LimiterStore, type LimitRef, type RuleChange } from './limiter.store';
import type {
  CreateOverride,
  CreateRule,
  LimiterAdminPort,
  OverrideInfo,
  OverrideRef,
  RuleInfo,
  RuleRef,
} from './limiter-admin.port';
import { RuleCache } from './rule-cache';

/** Rules and overrides: writes go to the store, then to the cache once committed; reads come from the cache. */
@Injectable()
export class LimiterAdminService implements LimiterAdminPort {
  constructor(
    @Inject(LIMITER_STORE) private readonly store: LimiterStore,
    private readonly cache: RuleCache,
    private readonly events: CapacityEvents,
  ) {}

  async createRule(cmd: CreateRule): Promise<RuleInfo> {
    const rule = checkNewRule(cmd);
    return toRuleInfo(await this.change(rule.name, () => this.store.createRule(rule)));
  }

  async getRule(ref: RuleRef): Promise<RuleInfo> {
    return toRuleInfo(await this.rule(ref.name));
  }

  async listRules(page: PageRequest): Promise<Page<RuleInfo>> {
    return pageOf((await this.cache.rules()).list(), page, toRuleInfo);
  }

  async updateRuleLimit(cmd: RuleRef & { readonly limit: number }): Promise<RuleInfo> {
    const limit = parseLimit(cmd.limit, 'Limit');
    knownRule(cmd.name);
    return toRuleInfo(await this.change(cmd.name, () => this.store.setLimit({ rule: cmd.name, override: null }, limit)));
  }

  async deleteRule(ref: RuleRef): Promise<void> {
    knownRule(ref.name);
    await this.change(ref.name, () => this.store.remove({ rule: ref.name, override: null }));
  }

  async createOverride(cmd: CreateOverride): Promise<OverrideInfo> {
    const override = checkNewOverride(cmd);
    knownRule(cmd.rule);
    const rule = await this.change(cmd.rule, () => this.store.createOverride(cmd.rule, override));
    return toOverrideInfo(findOverride(rule, override.name));
  }

  async getOverride(ref: OverrideRef): Promise<OverrideInfo> {
    return toOverrideInfo(findOverride(await this.rule(ref.rule), ref.name));
  }

  async listOverrides(ref: RuleRef, page: PageRequest): Promise<Page<OverrideInfo>> {
    return pageOf((await this.rule(ref.name)).overrides, page, toOverrideInfo);
  }

  async updateOverrideLimit(cmd: OverrideRef & { readonly limit: number }): Promise<OverrideInfo> {
    const limit = parseLimit(cmd.limit, 'Limit');
    knownOverride(cmd.rule, cmd.name);
    const ref: LimitRef = { rule: cmd.rule, override: cmd.name };
    return toOverrideInfo(findOverride(await this.change(cmd.rule, () => this.store.setLimit(ref, limit)), cmd.name));
  }

  async deleteOverride(ref: OverrideRef): Promise<void> {
    knownOverride(ref.rule, ref.name);
    await this.change(ref.rule, () => this.store.remove({ rule: ref.rule, override: ref.name }));
  }

  private async rule(name: string): Promise<RuleDef> {
    const rule = (await this.cache.rules()).get(name);
    if (!rule) throw new RuleNotFoundError(name);
    return rule;
  }

  /** A committed definition change frees capacity for every waiter to re-check (the limits may have risen). */
  private async change<T extends RuleDef | null>(ruleName: string, write: () => Promise<RuleChange<T>>): Promise<T> {
    const rule = (await this.cache.change(ruleName, write)) as T;
    this.events.emit(null);
    return rule;
  }
}

/** Names in paths: one no rule or override can carry is unknown, whatever the store (which may not hold such text). */
function knownRule(name: string): void {
  if (!isName(name)) throw new RuleNotFoundError(name);
}

function knownOverride(rule: string, name: string): void {
  knownRule(rule);
  if (!isName(name)) throw new OverrideNotFoundError(rule, name);
}

function findOverride(rule: RuleDef | null, name: string): OverrideDef {
  const override = rule?.overrides.find((o) => o.name === name);
  if (!rule || !override) throw new OverrideNotFoundError(rule?.name ?? '', name);
  return override;
}

function pageOf<T extends { readonly name: string }, R>(sorted: readonly T[], page: PageRequest, map: (item: T) => R): Page<R> {
  const cursor = page.cursor;
  const start = cursor === null ? 0 : firstAfter(sorted, cursor);
  const slice = sorted.slice(start, start + page.limit);
  const more = start + page.limit < sorted.length;
  return { items: slice.map(map), nextCursor: more ? slice[slice.length - 1].name : null };
}

/** Index of the first name strictly after `cursor` (binary search over names sorted by code point). */
function firstAfter(sorted: readonly { readonly name: string }[], cursor: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareCodePoints(sorted[mid].name, cursor) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function toOverrideInfo(o: OverrideDef): OverrideInfo {
  return { name: o.name, keyValues: o.keyValues, limit: o.limit };
}

function toRuleInfo(rule: RuleDef | null): RuleInfo {
  if (!rule) throw new Error('a committed rule change returned no rule'); // only deleteRule returns null
  return { name: rule.name, groupBy: rule.groupBy, limit: rule.limit, overrides: rule.overrides.map(toOverrideInfo) };
}
