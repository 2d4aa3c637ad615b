// The AWS SDK takes ~0.5 s to load: importing @snapferry/storage (the CLI does, for hashing)
// must not load it; only creating a bucket-backed region's client does.
let sdkLoaded = false;
jest.mock('@aws-sdk/client-s3', () => {
  sdkLoaded = true;
  return jest.requireActual('@aws-sdk/client-s3');
});

describe('@snapferry/storage and the AWS SDK', () => {
  it('loads the SDK only when a bucket-backed region first needs a client', async () => {
    const storage = await import('../index');
    expect(sdkLoaded).toBe(false);
    const client = await storage.createS3Client(
      {
        id: 'eu-paris',
        objectStore: {
          endpoint: 'http://127.0.0.1:9',
          bucket: 'snapferry',
          prefix: '',
          region: 'us-east-1',
          forcePathStyle: true,
        },
      },
      {},
    );
    expect(sdkLoaded).toBe(true);
    client.destroy();
  });
});
