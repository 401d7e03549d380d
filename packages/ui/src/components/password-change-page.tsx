import { useSignal } from '@preact/signals';
import { useEffect, useRef } from 'preact/hooks';
import { ApiError } from '../api/tamga-api.js';
import { changePassword } from '../api/session-api.js';
import type { SessionInfo } from '../api/session-api.js';
import { errorText } from '../i18n/error-text.js';
import { t } from '../i18n/i18n.js';
import { signInWithSession, signOut } from '../state/session.js';
import { SealIcon } from './icons.js';
import { PageTools } from './page-tools.js';

/** The forced password change after a sign-in with a one-time password (nothing else works until then). */
export function PasswordChangePage({ session }: { session: SessionInfo }) {
  const current = useSignal('');
  const next = useSignal('');
  const repeat = useSignal('');
  const error = useSignal<string | null>(null);
  const busy = useSignal(false);
  const first = useRef<HTMLInputElement>(null);

  useEffect(() => first.current?.focus(), []);

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    if (next.value !== repeat.value) {
      error.value = t('passwordsDiffer');
      return;
    }
    if ([...next.value].length < 12) {
      error.value = t('passwordTooShort');
      return;
    }
    busy.value = true;
    error.value = null;
    try {
      const changed = await changePassword(session.csrfToken ?? '', current.value, next.value);
      signInWithSession({ ...session, ...changed, csrfToken: session.csrfToken, mustChangePassword: false });
    } catch (caught) {
      const apiError = caught instanceof ApiError ? caught : new ApiError('NETWORK', String(caught), 0);
      if (apiError.status === 401) return signOut(t('sessionExpired'));
      // The server answers a wrong current password with FORBIDDEN naming currentPassword.
      error.value = errorText(apiError, { FORBIDDEN: 'errWrongCurrentPassword' });
      busy.value = false;
    }
  };

  const field = (id: string, label: string, value: typeof current, autocomplete: string, ref?: typeof first) => (
    <>
      <label for={id}>{label}</label>
      <input
        {...(ref !== undefined && { ref })}
        id={id}
        type="password"
        autocomplete={autocomplete}
        value={value.value}
        onInput={(e) => (value.value = e.currentTarget.value)}
        aria-invalid={error.value !== null}
        aria-describedby={error.value !== null ? 'password-error' : undefined}
      />
    </>
  );

  return (
    <div class="signin-layout">
      <header class="signin-tools">
        <PageTools />
      </header>
      <main class="signin-card" aria-labelledby="password-title">
        <div class="brand brand-large">
          <SealIcon />
          <span>Tamga</span>
        </div>
        <h1 id="password-title">{t('passwordChangeTitle')}</h1>
        <p class="muted">{t('passwordChangeLead')}</p>
        <form onSubmit={(e) => void submit(e)} noValidate>
          <input type="text" name="username" autocomplete="username" value={session.login ?? ''} hidden readOnly />
          {field('current-password', t('currentPassword'), current, 'current-password', first)}
          {field('new-password', t('newPassword'), next, 'new-password')}
          {field('repeat-password', t('repeatPassword'), repeat, 'new-password')}
          {error.value !== null && (
            <p id="password-error" class="form-error" role="alert">
              {error.value}
            </p>
          )}
          <button type="submit" class="btn btn-primary" disabled={busy.value}>
            {busy.value ? t('changingPassword') : t('changePassword')}
          </button>
          <button type="button" class="btn btn-ghost" onClick={() => signOut()}>
            {t('signOut')}
          </button>
        </form>
      </main>
    </div>
  );
}
