import { cephKey, keyring } from './ceph-keyring';

describe('cephKey', () => {
  it('encodes an AES secret the way ceph-authtool does (type 1, creation time, 16 bytes)', () => {
    const secret = Buffer.alloc(16, 7);
    const key = cephKey(1_796_319_910_376, secret);
    const bytes = Buffer.from(key, 'base64');
    expect(key).toMatch(/^AQ[A-Za-z0-9+/]{36}==$/);
    expect(bytes.length).toBe(28);
    expect(bytes.readUInt16LE(0)).toBe(1);
    expect(bytes.readUInt32LE(2)).toBe(1_796_319_910);
    expect(bytes.readUInt32LE(6)).toBe(376_000_000);
    expect(bytes.readUInt16LE(10)).toBe(16);
    expect(bytes.subarray(12)).toEqual(secret);
  });

  it('refuses a secret of another length', () => {
    expect(() => cephKey(0, Buffer.alloc(15))).toThrow('16 bytes');
  });
});

describe('keyring', () => {
  it('writes one section per entity with its key and quoted capabilities', () => {
    expect(
      keyring(
        { 'mon.': { mon: 'allow *' }, 'osd.0': { mon: 'allow profile osd', osd: 'allow *' } },
        () => 'K',
      ),
    ).toBe(
      '[mon.]\n\tkey = K\n\tcaps mon = "allow *"\n' +
        '[osd.0]\n\tkey = K\n\tcaps mon = "allow profile osd"\n\tcaps osd = "allow *"\n',
    );
  });
});
