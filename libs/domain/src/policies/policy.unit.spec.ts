import { defaultRegionCatalog } from '../regions/region-catalog';
import { DomainError } from '../shared/event';
import { PolicyInvalidError } from './parse-policy';
import { changePolicy, createPolicy, deletePolicy, evolvePolicy, type PolicyState } from './policy';
import type { PolicyEvent } from './policy-events';

const now = '2024-05-01T10:00:00.000Z';
const later = '2024-05-01T11:00:00.000Z';
const accountId = 'acct-owner';
const policyId = 'pol-abcd1234';
const input = {
  name: 'orders-db DR',
  sourceRegion: 'ap-guangzhou',
  selector: { diskIds: ['disk-aaaa0001'] },
  destinations: [{ region: 'ap-shanghai', retain: { count: 3 } }],
  rpoMinutes: 120,
};
const context = { regions: defaultRegionCatalog, betaEnabled: true };
const given = (events: PolicyEvent[]): PolicyState => events.reduce(evolvePolicy, null);
const created = () => createPolicy({ policyId, accountId, input, now }, context);

const codeOf = (run: () => unknown): string => {
  try {
    run();
  } catch (e) {
    if (e instanceof DomainError) return e.code;
    throw e;
  }
  throw new Error('expected a refusal');
};

describe('the policy decider', () => {
  it('creates a policy with its definition completed', () => {
    expect(created()).toEqual({
      type: 'PolicyCreated',
      data: { policyId, accountId, ...input, minIntervalMinutes: 0, enabled: true, createdAt: now },
    });
  });

  it('refuses a policy for an account outside the beta, and an invalid one with reasons', () => {
    expect(
      codeOf(() =>
        createPolicy({ policyId, accountId, input, now }, { ...context, betaEnabled: false }),
      ),
    ).toBe('UnauthorizedOperation.NotInBeta');
    expect(() =>
      createPolicy({ policyId, accountId, input: { ...input, selector: {} }, now }, context),
    ).toThrow(PolicyInvalidError);
  });

  it('changes only the fields a PATCH names, judging the result as a whole', () => {
    const state = given([created()]);
    const [changed] = changePolicy(
      state,
      { policyId, accountId, patch: { rpoMinutes: 60 }, now: later },
      context,
    );
    expect(changed?.data).toMatchObject({ ...input, rpoMinutes: 60, changedAt: later });
    expect(given([created(), changed!])).toMatchObject({ rpoMinutes: 60, updatedAt: later });
    expect(() =>
      changePolicy(
        state,
        { policyId, accountId, patch: { destinations: [] }, now: later },
        context,
      ),
    ).toThrow(PolicyInvalidError);
  });

  it('records nothing for a PATCH that changes nothing', () => {
    expect(
      changePolicy(
        given([created()]),
        { policyId, accountId, patch: { rpoMinutes: 120 }, now },
        context,
      ),
    ).toEqual([]);
  });

  it('hides another account’s and a deleted policy as not found', () => {
    const state = given([created()]);
    expect(codeOf(() => deletePolicy(state, { policyId, accountId: 'acct-other', now }))).toBe(
      'ResourceNotFound.Policy',
    );
    const deleted = deletePolicy(state, { policyId, accountId, now: later });
    expect(deleted.data).toEqual({
      policyId,
      accountId,
      sourceRegion: 'ap-guangzhou',
      deletedAt: later,
    });
    const gone = given([created(), deleted]);
    expect(codeOf(() => deletePolicy(gone, { policyId, accountId, now }))).toBe(
      'ResourceNotFound.Policy',
    );
    expect(codeOf(() => changePolicy(gone, { policyId, accountId, patch: {}, now }, context))).toBe(
      'ResourceNotFound.Policy',
    );
  });
});
