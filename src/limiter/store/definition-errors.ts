import { AlreadyExistsError } from '../../common/errors';

/** The ALREADY_EXISTS refusals of definition changes, worded the same by every store. */
export const duplicate = {
  ruleName: (rule: string) =>
    new AlreadyExistsError(`Rule "${rule}" already exists; choose another Name or change its Limit with PUT`, { Rule: rule }),
  groupSet: (rule: string, groupSet: string) =>
    new AlreadyExistsError(`Rule "${rule}" already groups by the same keys ${groupSet}; change its Limit or add overrides instead`, {
      Rule: rule,
    }),
  overrideName: (rule: string, override: string) =>
    new AlreadyExistsError(`Rule "${rule}" already has an override named "${override}"; choose another Name`, {
      Rule: rule,
      Override: override,
    }),
  keyValues: (rule: string, override: string) =>
    new AlreadyExistsError(`Override "${override}" of rule "${rule}" already has these KeyValues; change its Limit instead`, {
      Rule: rule,
      Override: override,
    }),
};
