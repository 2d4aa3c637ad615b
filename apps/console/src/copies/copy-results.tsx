import { Link } from 'wouter';
import type { CopiesAnswer } from '../api/types';
import { codeInWords } from '../format';

/** The answer of a copy request: one line per destination, started (with links) or refused (with why). */
export function CopyResults({ answer, onClose }: { answer: CopiesAnswer; onClose: () => void }) {
  const started = answer.results.filter((r) => r.code === 'Success').length;
  return (
    <div className="copy-results">
      <p role="status">
        {started === answer.results.length
          ? `Copies started to ${started} ${started === 1 ? 'region' : 'regions'}.`
          : `${started} of ${answer.results.length} copies started.`}
      </p>
      <ul>
        {answer.results.map((result) => (
          <li
            key={result.destinationRegion}
            className={result.code === 'Success' ? 'result ok' : 'result refused'}
            data-region={result.destinationRegion}
          >
            <strong>{result.destinationRegion}</strong>{' '}
            <span className="result-code">{codeInWords(result.code)}</span>
            <span className="result-message">{result.message}</span>
            {result.code === 'Success' && result.snapshotId && (
              <span className="result-links">
                <Link
                  href={`/snapshots?region=${encodeURIComponent(result.destinationRegion)}`}
                  onClick={onClose}
                >
                  Open {result.destinationRegion}
                </Link>
                {result.replicationId && (
                  <Link href={`/replications/${result.replicationId}`} onClick={onClose}>
                    Timeline
                  </Link>
                )}
              </span>
            )}
            {result.code !== 'Success' && <span className="code">({result.code})</span>}
          </li>
        ))}
      </ul>
      <div className="actions">
        <button type="button" className="primary" onClick={onClose} autoFocus>
          Close
        </button>
      </div>
    </div>
  );
}
