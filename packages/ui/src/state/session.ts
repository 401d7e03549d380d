import { computed, signal } from '@preact/signals';
import { TamgaApi } from '../api/tamga-api.js';
import { closeSession, currentSession } from '../api/session-api.js';
import type { SessionInfo } from '../api/session-api.js';

const STORAGE_KEY = 'tamga.apiKey';

function readKey(): string | null {
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

/** The API key of this tab (sessionStorage: gone when the tab closes), or null when signed out. */
export const apiKey = signal<string | null>(readKey());

/**
 * The password session (the cookie is HttpOnly: the page knows only the login and the CSRF token), or
 * null. Kept in memory only; a reload asks the server with `GET /api/v1/session`.
 */
export const passwordSession = signal<SessionInfo | null>(null);

/** False until the page knows whether a password session exists (no sign-in form flashes on reload). */
export const isSessionChecked = signal<boolean>(apiKey.value !== null);

/** Why the viewer was signed out (shown on the sign-in page), e.g. the server refused the key. */
export const signOutReason = signal<string | null>(null);

/** The API client: by key, or by session once its one-time password is changed. */
export const api = computed(() => {
  if (apiKey.value !== null) return new TamgaApi(apiKey.value);
  const session = passwordSession.value;
  if (session === null || session.csrfToken === null || session.mustChangePassword) return null;
  return new TamgaApi({ csrfToken: session.csrfToken });
});

/** Asks the server once whether this browser has a password session. */
export function checkSession(): void {
  if (isSessionChecked.value) return;
  currentSession().then(
    (session) => {
      passwordSession.value = session;
      isSessionChecked.value = true;
    },
    () => {
      isSessionChecked.value = true;
    },
  );
}

/** Keeps the key for this tab. */
export function signIn(key: string): void {
  try {
    sessionStorage.setItem(STORAGE_KEY, key);
  } catch {
    // Without storage the key lives until reload.
  }
  signOutReason.value = null;
  apiKey.value = key;
}

/** Keeps a password session (after sign-in or a password change). */
export function signInWithSession(session: SessionInfo): void {
  signOutReason.value = null;
  passwordSession.value = session;
  isSessionChecked.value = true;
}

/** Forgets the key or ends the password session on the server; `reason` is shown on the sign-in page. */
export function signOut(reason: string | null = null): void {
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // Nothing stored.
  }
  const session = passwordSession.value;
  if (session?.csrfToken) void closeSession(session.csrfToken).catch(() => undefined);
  signOutReason.value = reason;
  apiKey.value = null;
  passwordSession.value = null;
}
