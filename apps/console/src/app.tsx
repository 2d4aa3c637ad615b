import { useCallback, useEffect, useMemo, useState } from 'react';
import { Redirect, Route, Router, Switch } from 'wouter';
import { createApi } from './api/client';
import { ApiProvider } from './api/context';
import { LiveEvents } from './api/live-events';
import { EventLogPage } from './events/event-log-page';
import { Layout } from './layout/layout';
import { PoliciesPage } from './policies/policies-page';
import { ReplicationPage } from './replications/replication-page';
import { clearApiKey, readApiKey, writeApiKey } from './session/api-key';
import { SignIn } from './session/sign-in';
import { SnapshotsPage } from './snapshots/snapshots-page';

/** The console: sign-in, then the pages, under /console. */
export function App() {
  const [apiKey, setApiKey] = useState<string | null>(readApiKey);
  const [notice, setNotice] = useState<string | null>(null);
  const signOut = useCallback((why: string | null) => {
    clearApiKey();
    setApiKey(null);
    setNotice(why);
  }, []);

  return (
    <Router base="/console">
      {apiKey ? (
        <SignedIn apiKey={apiKey} onSignOut={signOut} />
      ) : (
        <SignIn
          notice={notice}
          onSignedIn={(key) => {
            writeApiKey(key);
            setNotice(null);
            setApiKey(key);
          }}
        />
      )}
    </Router>
  );
}

function SignedIn({
  apiKey,
  onSignOut,
}: {
  apiKey: string;
  onSignOut: (why: string | null) => void;
}) {
  const api = useMemo(
    () =>
      createApi(apiKey, () =>
        onSignOut('The catalog no longer accepts this API key. Sign in again.'),
      ),
    [apiKey, onSignOut],
  );
  const live = useMemo(() => new LiveEvents(api), [api]);
  useEffect(() => {
    live.start();
    return () => live.stop();
  }, [live]);

  return (
    <ApiProvider api={api} live={live}>
      <Layout onSignOut={() => onSignOut('Signed out.')}>
        <Switch>
          <Route path="/">
            <Redirect to="/snapshots" replace />
          </Route>
          <Route path="/snapshots" component={SnapshotsPage} />
          <Route path="/policies" component={PoliciesPage} />
          <Route path="/events" component={EventLogPage} />
          <Route path="/replications/:id" component={ReplicationPage} />
          <Route>
            <section>
              <h1>Not found</h1>
              <p>This console page does not exist.</p>
            </section>
          </Route>
        </Switch>
      </Layout>
    </ApiProvider>
  );
}
