import type { OperationHandler } from './operation-context.js';
import type { SesAccountSettings } from './sandbox-types.js';

/** SES's sending quotas: in the SES sandbox, and the usual start of production access. */
export function sendQuota(account: SesAccountSettings): { Max24HourSend: number; MaxSendRate: number } {
  return account.productionAccessEnabled
    ? { Max24HourSend: 50_000, MaxSendRate: 14 }
    : { Max24HourSend: 200, MaxSendRate: 1 };
}

/** GetAccount: the account's sandbox flag, sending state, enforcement status and quota. */
export const ACCOUNT_OPERATIONS: Record<string, OperationHandler> = {
  GetAccount: ({ state, now }) => ({
    DedicatedIpAutoWarmupEnabled: false,
    EnforcementStatus: state.account.enforcementStatus,
    ProductionAccessEnabled: state.account.productionAccessEnabled,
    SendingEnabled: state.account.sendingEnabled,
    SendQuota: { ...sendQuota(state.account), SentLast24Hours: state.sentSince(new Date(now.getTime() - 86_400_000)) },
  }),
};
