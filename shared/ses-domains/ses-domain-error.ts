import { DomainProblem, type ProblemCode } from '../problem-catalog.js';

/** Why onboarding an SES sending domain was refused. */
export type SesDomainProblem = Extract<
  ProblemCode,
  | 'invalid_domain'
  | 'public_mailbox_domain'
  | 'region_not_allowed'
  | 'domain_unavailable'
  | 'domain_limit_reached'
  | 'domain_not_found'
  | 'domain_in_use'
  | 'sender_not_authenticated'
  | 'conflict'
>;

/** The error family of SES domain onboarding. */
export class SesDomainError extends DomainProblem {
  override readonly name = 'SesDomainError';

  constructor(
    code: SesDomainProblem,
    detail: string,
    options: { extensions?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(code, detail, options);
  }
}
