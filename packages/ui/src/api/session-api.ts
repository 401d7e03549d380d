import { ApiError, TamgaApi } from './tamga-api.js';

/** What `/api/v1/session` answers about the signed-in user. */
export interface SessionInfo {
  readonly kind: 'session' | 'api-key' | 'bootstrap';
  readonly login: string | null;
  readonly mustChangePassword: boolean;
  readonly csrfToken: string | null;
}

async function json<T>(response: Response): Promise<T> {
  try {
    return (await response.json()) as T;
  } catch {
    throw new ApiError('BAD_RESPONSE', 'The server answered with something other than JSON', response.status);
  }
}

/**
 * Signs in with a login and password: the server sets an HttpOnly session cookie and answers with the
 * CSRF token the page sends with every state-changing call.
 */
export async function openSession(login: string, password: string): Promise<SessionInfo> {
  const response = await new TamgaApi({ csrfToken: '' }).request('/api/v1/session', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login, password }),
  });
  return json<SessionInfo>(response);
}

/** The password session of this browser (its cookie), or null when there is none. */
export async function currentSession(): Promise<SessionInfo | null> {
  try {
    const info = await json<SessionInfo>(await new TamgaApi({ csrfToken: '' }).request('/api/v1/session'));
    return info.kind === 'session' && info.csrfToken !== null ? info : null;
  } catch (error) {
    if (error instanceof ApiError && !error.isNetwork) return null;
    throw error;
  }
}

/** Changes the signed-in user's password. */
export async function changePassword(csrfToken: string, currentPassword: string, newPassword: string): Promise<SessionInfo> {
  const response = await new TamgaApi({ csrfToken }).request('/api/v1/session/password', {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ currentPassword, newPassword }),
  });
  return json<SessionInfo>(response);
}

/** Signs out on the server (the session stops working at once). */
export async function closeSession(csrfToken: string): Promise<void> {
  await new TamgaApi({ csrfToken }).request('/api/v1/session', { method: 'DELETE' });
}
