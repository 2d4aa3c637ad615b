import type { Event } from '../shared/event';

export type AccountBetaEnabled = Event<
  'AccountBetaEnabled',
  { accountId: string; enabledBy: string; enabledAt: string }
>;
export type AccountBetaDisabled = Event<
  'AccountBetaDisabled',
  { accountId: string; disabledBy: string; disabledAt: string }
>;
export type AccountEvent = AccountBetaEnabled | AccountBetaDisabled;
export const accountEventTypes: readonly AccountEvent['type'][] = [
  'AccountBetaEnabled',
  'AccountBetaDisabled',
];

export interface Account {
  betaEnabled: boolean;
}
export const initialAccountState = (): Account => ({ betaEnabled: false });

export const evolveAccount = (state: Account, event: AccountEvent): Account => {
  switch (event.type) {
    case 'AccountBetaEnabled':
      return { betaEnabled: true };
    case 'AccountBetaDisabled':
      return { betaEnabled: false };
  }
};

/** Enabling twice changes nothing (PUT is idempotent). */
export function setBeta(
  state: Account,
  command: { accountId: string; enabled: boolean; operatorAccountId: string; now: string },
): AccountEvent[] {
  if (state.betaEnabled === command.enabled) return [];
  return command.enabled
    ? [
        {
          type: 'AccountBetaEnabled',
          data: {
            accountId: command.accountId,
            enabledBy: command.operatorAccountId,
            enabledAt: command.now,
          },
        },
      ]
    : [
        {
          type: 'AccountBetaDisabled',
          data: {
            accountId: command.accountId,
            disabledBy: command.operatorAccountId,
            disabledAt: command.now,
          },
        },
      ];
}
