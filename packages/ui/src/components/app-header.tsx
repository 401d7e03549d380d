import { t } from '../i18n/i18n.js';
import { signOut } from '../state/session.js';
import { SealIcon } from './icons.js';
import { PageTools } from './page-tools.js';

/** The bar at the top of every signed-in page. */
export function AppHeader() {
  return (
    <header class="app-header">
      <a class="skip-link" href="#results">
        {t('skipToResults')}
      </a>
      <div class="brand">
        <SealIcon />
        <span class="brand-name">Tamga</span>
        <span class="brand-sep" aria-hidden="true">
          /
        </span>
        <span class="brand-page">{t('appTitle')}</span>
      </div>
      <div class="header-tools">
        <PageTools />
        <button type="button" class="btn btn-ghost" onClick={() => signOut()}>
          {t('signOut')}
        </button>
      </div>
    </header>
  );
}
