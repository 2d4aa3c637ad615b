import {
  checkHostNames,
  cidrsOverlap,
  formatOwner,
  labIdOf,
  labNames,
  labSubnet,
  maxHosts,
  parseOwner,
  prefixesInUse,
  randomLabId,
} from './lab-names';
import { tokenBucketArgs } from './link-shaping';

describe('lab names', () => {
  it('derives every name and address from the lab id, interface names within 15 characters', () => {
    const names = labNames('a307');
    expect(names.bridge).toBe('sfnla307br');
    expect(names.rootVeth(maxHosts - 1)).toBe('sfnla307v252');
    expect(names.rootVeth(maxHosts - 1).length).toBeLessThanOrEqual(15);
    expect(names.namespace('ap-guangzhou')).toBe('sfnla307-ap-guangzhou');
    const subnet = labSubnet('a307');
    expect(subnet).toMatchObject({ cidr: '10.163.7.0/24', gateway: '10.163.7.1' });
    expect(subnet.hostIp(0)).toBe('10.163.7.2');
    expect(subnet.hostIp(maxHosts - 1)).toBe('10.163.7.254');
    expect(() => subnet.hostIp(maxHosts)).toThrow(/out of range/);
    for (const name of [names.bridge, names.rootVeth(3), names.namespace('x')])
      expect(labIdOf(name)).toBe('a307');
    expect(labIdOf('sfprab12cd34')).toBeUndefined();
    expect(labIdOf('eth0')).toBeUndefined();
  });

  it('draws ids in 10.160–254.x only', () => {
    expect(labSubnet(randomLabId(() => 0)).cidr).toBe('10.160.0.0/24');
    expect(labSubnet(randomLabId(() => 0.999999)).cidr).toBe('10.254.255.0/24');
    expect(() => labSubnet('zz00')).toThrow(/not a lab id/);
  });

  it('accepts only host names that make safe namespace names, each once', () => {
    expect(() => checkHostNames(['ap-guangzhou', 'ap-shanghai-fsi'])).not.toThrow();
    expect(() => checkHostNames([])).toThrow(/at least one/);
    expect(() => checkHostNames(['a', 'a'])).toThrow(/twice/);
    for (const bad of ['Ap', 'a/b', '-a', 'a b', '', 'x'.repeat(49)])
      expect(() => checkHostNames([bad])).toThrow(/host name/);
  });

  it('round-trips the owner stamp and refuses other aliases', () => {
    const owner = { pid: 4242, pidNamespace: 'pid4026531836' };
    expect(parseOwner(formatOwner(owner))).toEqual(owner);
    expect(parseOwner(`${formatOwner(owner)}\n`)).toEqual(owner);
    expect(parseOwner('')).toBeUndefined();
    expect(parseOwner('someone else')).toBeUndefined();
  });

  it('finds overlaps between CIDRs and the prefixes in ip output', () => {
    expect(cidrsOverlap('10.163.7.0/24', '10.163.7.9/32')).toBe(true);
    expect(cidrsOverlap('10.163.7.0/24', '10.0.0.0/8')).toBe(true);
    expect(cidrsOverlap('10.163.7.0/24', '10.163.8.0/24')).toBe(false);
    expect(cidrsOverlap('10.163.7.0/24', '192.0.2.0/24')).toBe(false);
    const text = [
      '2: eth0    inet 192.0.2.2/24 brd 192.0.2.255 scope global eth0',
      'default via 192.0.2.1 dev eth0',
      '10.163.7.0/24 dev sfnla307br proto kernel scope link src 10.163.7.1',
      'local 127.0.0.1 dev lo table local proto kernel scope host src 127.0.0.1',
    ].join('\n');
    const inUse = prefixesInUse(text);
    expect(inUse).toEqual(expect.arrayContaining(['192.0.2.2/24', '10.163.7.0/24', '127.0.0.1']));
    expect(inUse.some((p) => cidrsOverlap(p, '10.163.7.0/24'))).toBe(true);
    expect(inUse.some((p) => cidrsOverlap(p, '10.200.1.0/24'))).toBe(false);
  });
});

describe('token bucket', () => {
  it('turns bytes/s into tbf bits/s with a bucket of ≥ 64 KiB and a queue of ≥ 100 ms', () => {
    expect(tokenBucketArgs(2 * 1024 * 1024)).toEqual([
      'root',
      'tbf',
      'rate',
      `${2 * 1024 * 1024 * 8}bit`,
      'burst',
      String(64 * 1024),
      'limit',
      String(256 * 1024 + 64 * 1024),
    ]);
    const fast = tokenBucketArgs(1024 ** 3);
    expect(Number(fast[5])).toBe(Math.round(1024 ** 3 * 0.005));
    expect(Number(fast[7])).toBe(Math.round(1024 ** 3 * 0.1) + Math.round(1024 ** 3 * 0.005));
    expect(() => tokenBucketArgs(0)).toThrow(/at least 1024/);
    expect(() => tokenBucketArgs(Number.NaN)).toThrow(/at least 1024/);
  });
});
