import { cephRgwAvailable } from './ceph-rgw-available';

describe('cephRgwAvailable', () => {
  it('says which binaries are missing and how to install them', () => {
    const answer = cephRgwAvailable('');
    expect(answer.ok).toBe(false);
    if (answer.ok) return;
    expect(answer.reason).toContain('ceph-mon, ceph-osd, radosgw, radosgw-admin');
    expect(answer.reason).toContain(
      'apt-get install --no-install-recommends ceph-mon ceph-osd radosgw',
    );
  });
});
