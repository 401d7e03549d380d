import { computed, signal } from '@preact/signals';
import { TamgaApi } from '../api/tamga-api.js';

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

/** Why the viewer was signed out (shown on the sign-in page), e.g. the server refused the key. */
export const signOutReason = signal<string | null>(null);

/** The API client for the current key. */
export const api = computed(() => (apiKey.value === null ? null : new TamgaApi(apiKey.value)));

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

/** Forgets the key; `reason` is shown on the sign-in page. */
export function signOut(reason: string | null = null): void {
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // Nothing stored.
  }
  signOutReason.value = reason;
  apiKey.value = null;
}
