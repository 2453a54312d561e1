import { FULL_ACCESS_SHARE, SCOPE_CATALOG, SCOPE_RULES, type ScopeRule } from './sendgrid-facts.js';

/** A scope the key lacks, with the UI setting that grants it. */
export interface MissingScope {
  scope: string;
  grantedBy: string;
}

/** A scope the key should not have, with the UI setting to switch off. */
export interface ExcessScope {
  scope: string;
  setting: string;
}

/** What the scope policy concluded about one key's scopes. */
export interface ScopeAssessment {
  /** Scopes that mean something (the key's scopes minus SendGrid's pseudo-scopes), sorted. */
  granted: string[];
  required: string[];
  /** Pseudo-scopes the key carries, which the policy ignores. */
  ignored: string[];
  missing: MissingScope[];
  excess: ExcessScope[];
  isBillingKey: boolean;
  isFullAccessKey: boolean;
}

const rulesByScope = new Map<string, ScopeRule>(SCOPE_RULES.map((rule) => [rule.scope, rule]));
const requiredRules = SCOPE_RULES.filter((rule) => rule.role === 'required');
const settingByScope = new Map<string, string>();
for (const { setting, scopes } of SCOPE_CATALOG) {
  for (const scope of scopes) {
    if (!settingByScope.has(scope)) settingByScope.set(scope, setting);
  }
}
const catalogSize = settingByScope.size;

/** Judges a key's scopes against the product's needs: exactly the two UI settings, nothing more. */
export function assessScopes(keyScopes: readonly string[]): ScopeAssessment {
  const scopes = [...new Set(keyScopes)].sort();
  const ignored = scopes.filter((scope) => rulesByScope.get(scope)?.role === 'ignored');
  const granted = scopes.filter((scope) => rulesByScope.get(scope)?.role !== 'ignored');
  const missing = requiredRules
    .filter((rule) => !scopes.includes(rule.scope))
    .map((rule) => ({ scope: rule.scope, grantedBy: rule.grantedBy }));
  const excess = granted
    .filter((scope) => !rulesByScope.has(scope))
    .map((scope) => ({
      scope,
      setting: settingByScope.get(scope) ?? 'an unknown permission (not in SendGrid’s list)',
    }));
  const catalogScopesHeld = excess.filter((entry) => settingByScope.has(entry.scope)).length;
  return {
    granted,
    required: requiredRules.map((rule) => rule.scope),
    ignored,
    missing,
    excess,
    isBillingKey: scopes.some((scope) => rulesByScope.get(scope)?.role === 'billing'),
    isFullAccessKey: catalogScopesHeld >= catalogSize * FULL_ACCESS_SHARE,
  };
}

/** The distinct UI settings behind a list of excess scopes, in first-seen order. */
export function settingsToSwitchOff(excess: readonly ExcessScope[]): string[] {
  return [...new Set(excess.map((entry) => entry.setting))];
}
