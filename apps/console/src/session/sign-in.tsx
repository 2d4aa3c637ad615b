import { useId, useState, type FormEvent } from 'react';
import { ApiFailure, createApi } from '../api/client';
import type { RegionsAnswer } from '../api/types';

/** Sign-in with an API key: checked against the catalog (GET /v1/regions) before it is kept. */
export function SignIn({
  notice,
  onSignedIn,
}: {
  notice: string | null;
  onSignedIn: (apiKey: string) => void;
}) {
  const [apiKey, setApiKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [checking, setChecking] = useState(false);
  const keyId = useId();
  const hintId = useId();
  const errorId = useId();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const key = apiKey.trim();
    if (!key) {
      setError('Enter an API key.');
      return;
    }
    setChecking(true);
    setError(null);
    try {
      await createApi(key).get<RegionsAnswer>('/v1/regions');
      onSignedIn(key);
    } catch (failure) {
      setChecking(false);
      setError(
        failure instanceof ApiFailure && failure.status === 401
          ? 'The catalog does not accept this API key.'
          : failure instanceof ApiFailure
            ? failure.message
            : 'Signing in failed.',
      );
    }
  };

  return (
    <main className="sign-in" id="main">
      <form
        className="card"
        method="post"
        onSubmit={(e) => void submit(e)}
        noValidate
        aria-labelledby="sign-in-title"
      >
        <h1 id="sign-in-title">
          <span className="brand-mark" aria-hidden="true" /> Snapferry console
        </h1>
        <p className="muted">Cross-region snapshot replication</p>
        {notice && (
          <p className="notice" role="status">
            {notice}
          </p>
        )}
        <label htmlFor={keyId}>API key</label>
        <input
          id={keyId}
          name="apiKey"
          type="password"
          autoComplete="off"
          spellCheck={false}
          autoFocus
          value={apiKey}
          onChange={(e) => setApiKey(e.target.value)}
          aria-describedby={error ? `${hintId} ${errorId}` : hintId}
          aria-invalid={error ? true : undefined}
        />
        <p id={hintId} className="hint">
          Kept for this browser tab only and sent only in the Authorization header.
        </p>
        {error && (
          <p id={errorId} className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={checking}>
          {checking ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
