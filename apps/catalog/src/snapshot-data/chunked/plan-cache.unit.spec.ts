import { PlanCache } from './plan-cache';

const sizes = (n: number, prefix: string) =>
  new Map(Array.from({ length: n }, (_, i) => [`${prefix}${i}`, i + 1]));

describe('PlanCache', () => {
  it('answers what was set and forgets what was deleted', () => {
    const cache = new PlanCache(10, 4);
    cache.set('snap-a', sizes(3, 'a'));
    expect(cache.get('snap-a')?.get('a1')).toBe(2);
    cache.delete('snap-a');
    expect(cache.get('snap-a')).toBeUndefined();
    expect(cache.size).toEqual({ plans: 0, entries: 0 });
  });

  it('evicts the least recently used plan when the digests exceed the budget', () => {
    const cache = new PlanCache(10, 4);
    cache.set('snap-a', sizes(4, 'a'));
    cache.set('snap-b', sizes(4, 'b'));
    cache.get('snap-a'); // a is now the most recently used
    cache.set('snap-c', sizes(4, 'c'));
    expect(cache.get('snap-b')).toBeUndefined();
    expect(cache.get('snap-a')).toBeDefined();
    expect(cache.get('snap-c')).toBeDefined();
    expect(cache.size).toEqual({ plans: 2, entries: 8 });
  });

  it('holds at most maxPlans, replaces a plan in place, and skips one larger than the budget', () => {
    const cache = new PlanCache(100, 2);
    cache.set('snap-a', sizes(1, 'a'));
    cache.set('snap-b', sizes(1, 'b'));
    cache.set('snap-c', sizes(1, 'c'));
    expect(cache.size.plans).toBe(2);
    expect(cache.get('snap-a')).toBeUndefined();
    cache.set('snap-c', sizes(5, 'c'));
    expect(cache.size).toEqual({ plans: 2, entries: 6 });
    cache.set('snap-d', sizes(101, 'd'));
    expect(cache.get('snap-d')).toBeUndefined();
  });
});
