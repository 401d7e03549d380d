/**
 * Signing in with a password end to end: the real server (its own, with JournalRead on) and Chromium.
 * First sign-in with the administrator's one-time password, the forced change, the session cookie,
 * a reload, and signing out on the server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, API_KEY, hasChromium, newContext, startFixture, waitForRows } from './journal-fixture.js';
import type { JournalFixture } from './journal-fixture.js';

const NEW_PASSWORD = 'my own long password';

describe.skipIf(!hasChromium())('password sign-in', () => {
  let fx: JournalFixture;

  beforeAll(async () => {
    fx = await startFixture({ journalReads: true });
  });

  afterAll(async () => {
    await fx?.close();
  });

  it('signs in with the one-time password, forces a new one, keeps the session in an HttpOnly cookie, and signs out on the server', async () => {
    const context = await newContext(fx, { signedIn: false });
    const page = await context.newPage();
    await page.goto('/');
    await page.getByLabel('Login').fill('admin');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toBe('The login or the password is wrong. (UNAUTHENTICATED)');
    // In Russian, in the page's own words (the server's detail is English).
    await page.getByRole('button', { name: 'RU', exact: true }).click();
    await page.getByRole('button', { name: 'Войти' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toBe('Неверный логин или пароль. (UNAUTHENTICATED)');
    await page.getByRole('button', { name: 'EN', exact: true }).click();

    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    await page.getByLabel('Current password').fill(ADMIN_PASSWORD);
    await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel('New password again').fill('something else entirely');
    await page.getByRole('button', { name: 'Change password' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('differ');
    await page.getByLabel('New password again').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await waitForRows(page);
    expect(await page.locator('tr.row').count()).toBeGreaterThan(0);

    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'tamga_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/api/' });
    expect(await page.evaluate(() => sessionStorage.getItem('tamga.apiKey'))).toBeNull();
    expect(await page.evaluate(() => document.cookie)).not.toContain('tamga_session');

    // A reload finds the session again (GET /api/v1/session).
    await page.reload();
    await waitForRows(page);

    // The session's events are journalled with the IP and one operation key.
    const own = await fetch(`${fx.baseUrl}/api/v1/events?tenantId=tamga&limit=100&order=asc`, { headers: { authorization: `Bearer ${API_KEY}` } });
    const names = ((await own.json()) as { items: { eventName: string }[] }).items.map((r) => r.eventName);
    expect(names).toEqual(expect.arrayContaining(['LoginUserUnauthorized', 'Login', 'UserPasswordChanged', 'JournalRead']));

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Login').waitFor();
    const after = await fetch(`${fx.baseUrl}/api/v1/events`, { headers: { cookie: `tamga_session=${session!.value}` } });
    expect(after.status).toBe(401);
    await context.close();
  });
});
