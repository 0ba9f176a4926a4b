// What the tests and the server they start agree on.
export const port = process.env.GOTEMP_E2E_PORT ?? '18089';
export const admin = { email: 'admin@gotemp.local', password: 'e2e-admin-password' };

/** Logs in through the form; resolves once the page behind it shows. */
export async function logIn(page, path = '/') {
	await page.goto(path);
	await page.getByLabel('E-mail').fill(admin.email);
	await page.getByLabel('Password').fill(admin.password);
	await page.getByRole('button', { name: 'Log in' }).click();
	await page.waitForURL((url) => url.pathname !== '/login');
}

/** A full-page screenshot for people to look at (test-results/screens, not committed). */
export const shoot = (page, name) => page.screenshot({ path: `test-results/screens/${name}.png`, fullPage: true });

/** A link of the main menu (pages have other links of the same name). */
export const menu = (page, name) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });
