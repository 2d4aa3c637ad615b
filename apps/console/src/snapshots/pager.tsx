import { useId } from 'react';
import { pageSizes } from './list-query';

/** Which rows of how many, Previous and Next, and the page size. */
export function Pager({
  total,
  offset,
  limit,
  update,
}: {
  total: number;
  offset: number;
  limit: number;
  update: (changes: Record<string, string | number | null>) => void;
}) {
  const size = useId();
  return (
    <nav className="pager" aria-label="Pages">
      <span>
        {total === 0
          ? 'Nothing to show'
          : `${Math.min(offset + 1, total)}–${Math.min(offset + limit, total)} of ${total}`}
      </span>
      <button
        type="button"
        disabled={offset === 0}
        onClick={() => update({ offset: Math.max(0, offset - limit) || null })}
      >
        Previous
      </button>
      <button
        type="button"
        disabled={offset + limit >= total}
        onClick={() => update({ offset: offset + limit })}
      >
        Next
      </button>
      <label htmlFor={size}>Per page</label>
      <select id={size} value={limit} onChange={(e) => update({ limit: e.target.value })}>
        {pageSizes.map((n) => (
          <option key={n} value={n}>
            {n}
          </option>
        ))}
      </select>
    </nav>
  );
}
