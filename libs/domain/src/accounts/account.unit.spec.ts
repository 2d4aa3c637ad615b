import { now } from '../spec-helpers';
import type { AccountEvent } from './account';
import { evolveAccount, initialAccountState, setBeta } from './account';

const decide = (given: AccountEvent[], enabled: boolean) =>
  setBeta(given.reduce(evolveAccount, initialAccountState()), {
    accountId: 'acct-1',
    enabled,
    operatorAccountId: 'acct-operator',
    now,
  });
const enabled: AccountEvent = {
  type: 'AccountBetaEnabled',
  data: { accountId: 'acct-1', enabledBy: 'acct-operator', enabledAt: now },
};
const disabled: AccountEvent = {
  type: 'AccountBetaDisabled',
  data: { accountId: 'acct-1', disabledBy: 'acct-operator', disabledAt: now },
};

describe('beta eligibility', () => {
  it('starts disabled', () => expect(initialAccountState()).toEqual({ betaEnabled: false }));

  it('is enabled and disabled by an operator', () => {
    expect(decide([], true)).toEqual([enabled]);
    expect(decide([enabled], false)).toEqual([disabled]);
    expect([enabled, disabled].reduce(evolveAccount, initialAccountState())).toEqual({
      betaEnabled: false,
    });
  });

  it('changes nothing when set to what it already is', () => {
    expect(decide([], false)).toEqual([]);
    expect(decide([enabled], true)).toEqual([]);
  });
});
