import { useEffect } from 'preact/hooks';
import { AppHeader } from './components/app-header.js';
import { JournalPage } from './components/journal-page.js';
import { OperationPage } from './components/operation-page.js';
import { PasswordChangePage } from './components/password-change-page.js';
import { RecordPage } from './components/record-page.js';
import { SignInPage } from './components/sign-in-page.js';
import { loadCatalog } from './state/catalog.js';
import { currentView } from './state/router.js';
import { api, checkSession, isSessionChecked, passwordSession } from './state/session.js';

/** The page: sign-in without a key or session, the forced password change, else the view the URL names. */
export function App() {
  const client = api.value;
  useEffect(() => {
    if (client !== null) loadCatalog(client);
  }, [client]);

  useEffect(() => checkSession(), []);

  if (!isSessionChecked.value) return null;
  const session = passwordSession.value;
  if (client === null && session?.mustChangePassword === true) return <PasswordChangePage session={session} />;
  if (client === null) return <SignInPage />;
  const view = currentView.value;
  return (
    <>
      <AppHeader />
      {view.kind === 'journal' && <JournalPage filter={view.filter} />}
      {view.kind === 'operation' && <OperationPage operationKey={view.operationKey} filter={view.filter} />}
      {view.kind === 'record' && <RecordPage id={view.id} filter={view.filter} />}
    </>
  );
}
