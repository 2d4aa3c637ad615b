import { copyTagKeys, isReservedTagKey, type Tag } from '@snapferry/domain';
import { Link } from 'wouter';

/**
 * A snapshot's tags as chips: its own `key=value`s, and of the service's own only the policy
 * that made a copy (linked to the policies page); where a copy comes from is in its name cell.
 */
export function Tags({ tags = [] }: { tags?: readonly Tag[] }) {
  const own = tags.filter((t) => !isReservedTagKey(t.key));
  const policy = tags.find((t) => t.key === copyTagKeys.policy)?.value;
  if (own.length === 0 && !policy) return <span className="muted">—</span>;
  return (
    <>
      {own.map((t) => (
        <span key={t.key} className="tag" title={`${t.key}=${t.value}`}>
          {t.key}={t.value}
        </span>
      ))}
      {policy && (
        <Link href="/policies" className="tag" title={`made by policy ${policy}`}>
          policy {policy}
        </Link>
      )}
    </>
  );
}
