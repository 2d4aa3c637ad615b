import {
  credentialVariables,
  ObjectStoreConfigError,
  regionCredentials,
} from './region-credentials';

describe('regionCredentials', () => {
  it('names the variables after the region id: upper case, "-" as "_"', () => {
    expect(credentialVariables('ap-shenzhen-fsi')).toEqual({
      accessKeyId: 'SNAPFERRY_S3_ACCESS_KEY_ID_AP_SHENZHEN_FSI',
      secretAccessKey: 'SNAPFERRY_S3_SECRET_ACCESS_KEY_AP_SHENZHEN_FSI',
      sessionToken: 'SNAPFERRY_S3_SESSION_TOKEN_AP_SHENZHEN_FSI',
    });
  });

  it("takes the region's own keys, with a session token when given", () => {
    const env = {
      SNAPFERRY_S3_ACCESS_KEY_ID_EU_PARIS: 'AKIDPARIS',
      SNAPFERRY_S3_SECRET_ACCESS_KEY_EU_PARIS: 'paris-secret',
      SNAPFERRY_S3_ACCESS_KEY_ID_EU_ROME: 'AKIDROME',
      SNAPFERRY_S3_SECRET_ACCESS_KEY_EU_ROME: 'rome-secret',
      SNAPFERRY_S3_SESSION_TOKEN_EU_ROME: 'token',
      AWS_ACCESS_KEY_ID: 'AKIDDEFAULT',
    };
    expect(regionCredentials('eu-paris', env)).toEqual({
      accessKeyId: 'AKIDPARIS',
      secretAccessKey: 'paris-secret',
    });
    expect(regionCredentials('eu-rome', env)).toEqual({
      accessKeyId: 'AKIDROME',
      secretAccessKey: 'rome-secret',
      sessionToken: 'token',
    });
  });

  it("leaves a region without keys of its own to the AWS SDK's chain", () => {
    expect(regionCredentials('eu-paris', { AWS_ACCESS_KEY_ID: 'AKID' })).toBeUndefined();
    expect(
      regionCredentials('eu-paris', { SNAPFERRY_S3_ACCESS_KEY_ID_EU_PARIS: '' }),
    ).toBeUndefined();
  });

  it.each([
    [
      { SNAPFERRY_S3_ACCESS_KEY_ID_EU_PARIS: 'AKIDPARIS' },
      'only SNAPFERRY_S3_ACCESS_KEY_ID_EU_PARIS is set',
    ],
    [
      { SNAPFERRY_S3_SECRET_ACCESS_KEY_EU_PARIS: 'paris-secret' },
      'only SNAPFERRY_S3_SECRET_ACCESS_KEY_EU_PARIS is set',
    ],
    [
      { SNAPFERRY_S3_SESSION_TOKEN_EU_PARIS: 'token' },
      'SNAPFERRY_S3_SESSION_TOKEN_EU_PARIS is set without',
    ],
  ])('refuses half a pair instead of falling back to other keys (%o)', (env, message) => {
    let error: unknown;
    try {
      regionCredentials('eu-paris', env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ObjectStoreConfigError);
    expect((error as Error).message).toContain(message);
    for (const value of Object.values(env)) expect((error as Error).message).not.toContain(value);
  });
});
