// What the tests and the server they start agree on, and the `test` they all use.
import { test as base, expect } from '@playwright/test';

/**
 * Playwright's test, failing on anything the page itself reports: an uncaught exception or a
 * console error such as a content-security-policy refusal. (Error statuses the API answers on
 * purpose are logged by the browser as failed loads; those are the tests' own business.)
 */
export const test = base.extend({
	page: async ({ page }, use) => {
		const problems = [];
		page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
		page.on('console', (m) => {
			if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(m.text());
		});
		await use(page);
		expect(problems, 'errors in the browser console').toEqual([]);
	}
});
export { expect };
export const port = process.env.GOTEMP_E2E_PORT ?? '18089';
/** The multi-tenant server's port (GOTEMP_TENANCY=multi, registration open): tenants.spec.js. */
export const multiPort = process.env.GOTEMP_E2E_MULTI_PORT ?? '18090';
export const admin = { email: 'admin@gotemp.local', password: 'e2e-admin-password' };
/** The seeded demo users' password (Ann Smith: editor, Bob Jones: viewer, Erin Audit: auditor). */
export const demoPassword = 'e2e-demo-password';

/** Logs in through the form (as the administrator unless told); resolves once the page behind it shows. */
export async function logIn(page, path = '/', who = admin) {
	await page.goto(path);
	await page.getByLabel('E-mail').fill(who.email);
	await page.getByLabel('Password').fill(who.password);
	await page.getByRole('button', { name: 'Log in' }).click();
	await page.waitForURL((url) => url.pathname !== '/login');
}

/** A full-page screenshot for people to look at (test-results/screens, not committed). */
export const shoot = (page, name) => page.screenshot({ path: `test-results/screens/${name}.png`, fullPage: true });

/** A link of the main menu (pages have other links of the same name). */
export const menu = (page, name) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });
