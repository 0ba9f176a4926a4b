// Multi-tenant deployments (GOTEMP_TENANCY=multi, the second server of playwright.config.js): the
// platform's operator runs the tenants; each tenant's users see their organisation named in the
// menu bar and only its data, under the same keys as another's; a sign-up starts an
// organisation. And the single-tenant server beside it names none and asks for none.
import AxeBuilder from '@axe-core/playwright';
import { admin, demoPassword, expect, logIn, menu, multiPort, shoot, test } from './server.js';

const multi = `http://127.0.0.1:${multiPort}`;
const ducksAdmin = { email: 'admin@ducks.example', password: demoPassword };
const geeseAdmin = { email: 'admin@geese.example', password: demoPassword };
const geeseEditor = { email: 'gina.goose@geese.example', password: demoPassword };

/** The organisation the menu bar names. */
const tenantName = (page) => page.getByTestId('tenant-name');

async function logOut(page) {
	await page.getByRole('button', { name: 'Log out' }).click();
	await expect(page).toHaveURL(/\/login\?out=1$/);
}

test.describe('a multi-tenant deployment', () => {
	test.use({ baseURL: multi });

	test('the operator creates a tenant with its administrator, deactivates and reactivates it', async ({ page, request }) => {
		await logIn(page, '/', admin);
		await expect(tenantName(page)).toContainText('Platform');
		await menu(page, 'Tenants').click();
		await expect(page).toHaveURL(/\/tenants$/);
		await expect(page.getByRole('heading', { name: 'Tenants', level: 1 })).toBeVisible();
		const row = (key) => page.getByTestId('tenants').locator(`tr[data-key="${key}"]`);
		await expect(row('ducks')).toContainText('Ducks R Us');
		await expect(row('geese')).toContainText('Geese Gone Wild');
		// The platform itself always stays open: nothing to press on its row.
		await expect(row('platform')).toContainText('The platform: always open');
		await expect(row('platform').getByRole('button')).toHaveCount(0);

		// The server's rules, each next to its field, the administrator's included.
		const form = page.getByRole('form', { name: 'New tenant' });
		await form.getByLabel('Key').fill('Herons!');
		await form.getByLabel('E-mail').fill('admin@herons.example');
		await form.getByLabel('Password').fill('short');
		await form.getByRole('button', { name: 'Create tenant' }).click();
		await expect(form.getByLabel('Key')).toHaveAttribute('aria-invalid', 'true');
		await expect(form.getByLabel('Key')).toHaveAccessibleDescription(/^Key must be 1 to 63 lower-case letters/);
		await expect(form.getByLabel('Name', { exact: true })).toHaveAccessibleDescription(/^Name is required/);
		await expect(form.getByLabel('First name')).toHaveAccessibleDescription('First name is required');
		await expect(form.getByLabel('Password')).toHaveAccessibleDescription(/^Password must be 8 to 1024 characters/);
		await expect(form.getByLabel('Key')).toBeFocused();

		// A key another tenant has is refused at the key.
		await form.getByLabel('Key').fill('ducks');
		await form.getByLabel('Name', { exact: true }).fill('Herons & Co');
		await form.getByLabel('First name').fill('Hector');
		await form.getByLabel('Last name').fill('Heron');
		await form.getByLabel('Password').fill('a long enough password');
		await form.getByRole('button', { name: 'Create tenant' }).click();
		await expect(form.getByLabel('Key')).toHaveAccessibleDescription(/^Key: a tenant with this \w+ already exists/);

		await form.getByLabel('Key').fill('herons');
		await form.getByLabel('Password').fill('a long enough password');
		await form.getByRole('button', { name: 'Create tenant' }).click();
		await expect(page.getByRole('status').filter({ hasText: 'Created tenant herons; admin@herons.example administers it.' })).toBeVisible();
		await expect(form.getByLabel('Key')).toHaveValue('');
		await expect(row('herons')).toContainText('Herons & Co');
		await expect(row('herons').getByTestId('active')).toHaveText('Yes');
		await shoot(page, '20-tenants');

		// Its administrator logs in, until the tenant is deactivated.
		const login = () => request.post(`${multi}/v1/auth/login`, { data: { email: 'admin@herons.example', password: 'a long enough password' } });
		expect((await login()).status()).toBe(200);
		await row('herons').getByRole('button', { name: 'Deactivate herons' }).click();
		await expect(page.getByRole('status').filter({ hasText: 'Deactivated tenant herons' })).toBeVisible();
		await expect(row('herons').getByTestId('active')).toHaveText('No');
		expect((await login()).status()).toBe(401);

		// Its administrator is data, so it cannot be deleted: the server says why.
		await row('herons').getByRole('button', { name: 'Delete… herons' }).click();
		const dialog = page.getByRole('dialog', { name: 'Delete tenant herons?' });
		await expect(dialog).toBeVisible();
		await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
		await expect(page.getByRole('alert')).toContainText('still holds data');

		await row('herons').getByRole('button', { name: 'Activate herons' }).click();
		await expect(page.getByRole('status').filter({ hasText: 'Activated tenant herons' })).toBeVisible();
		await expect(row('herons').getByTestId('active')).toHaveText('Yes');
		expect((await login()).status()).toBe(200);

		await page.reload();
		await page.waitForLoadState('networkidle');
		const scan = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa']).analyze();
		const serious = scan.violations.filter((v) => ['serious', 'critical'].includes(v.impact));
		expect(serious.map((v) => `${v.id} ${v.help} (${v.nodes.map((n) => n.target).join(', ')})`)).toEqual([]);
	});

	test('each tenant sees its own organisation named, and its own record under a shared key', async ({ page }) => {
		await logIn(page, '/customers/ducksrus', ducksAdmin);
		await expect(tenantName(page)).toContainText('Ducks R Us');
		await expect(page.getByLabel('Name', { exact: true })).toHaveValue('Ducks R Us');
		// An administrator of a tenant is no operator.
		await expect(menu(page, 'Users')).toBeVisible();
		await expect(menu(page, 'Tenants')).toHaveCount(0);
		await page.goto('/tenants');
		await expect(page.getByRole('alert')).toContainText('Only the operators of the platform run tenants');
		await logOut(page);

		await logIn(page, '/customers/ducksrus', geeseAdmin);
		await expect(tenantName(page)).toContainText('Geese Gone Wild');
		await expect(page.getByLabel('Name', { exact: true })).toHaveValue('Goose Down Supplies');
		await expect(menu(page, 'Tenants')).toHaveCount(0);
		await shoot(page, '21-tenant-geese');
		await logOut(page);

		// Names are per session: the next person of the same tenant sees it too.
		await logIn(page, '/', geeseEditor);
		await expect(tenantName(page)).toContainText('Geese Gone Wild');
		await expect(menu(page, 'Users')).toHaveCount(0);
		await expect(menu(page, 'Tenants')).toHaveCount(0);
	});

	test('a sign-up names its organisation, which the new user then administers', async ({ page }) => {
		await page.goto('/login');
		await page.getByRole('link', { name: 'Sign up' }).click();
		await expect(page.getByTestId('what-you-get')).toContainText('You administer your organisation');
		await page.getByLabel('First name').fill('Harriet');
		await page.getByLabel('Last name').fill('Heron');
		await page.getByLabel('E-mail').fill('harriet@herons-haven.example');
		await page.getByLabel('Password').fill('a long enough password');
		await page.getByRole('button', { name: 'Sign up' }).click();
		// Required in a multi-tenant deployment: the server names the field.
		await expect(page.getByLabel('Organisation')).toHaveAccessibleDescription(/^Organisation is required/);

		await page.getByLabel('Organisation').fill('Herons Haven');
		await page.getByLabel('Password').fill('a long enough password');
		await page.getByRole('button', { name: 'Sign up' }).click();
		await expect(page).toHaveURL(/\/login\?signed-up=1$/);
		await page.getByLabel('E-mail').fill('harriet@herons-haven.example');
		await page.getByLabel('Password').fill('a long enough password');
		await page.getByRole('button', { name: 'Log in' }).click();
		await expect(page.getByRole('heading', { name: 'Welcome, Harriet' })).toBeVisible();
		await expect(tenantName(page)).toContainText('Herons Haven');
		// Its administrator: its users, not the deployment's tenants; and none of the others' data.
		await expect(menu(page, 'Users')).toBeVisible();
		await expect(menu(page, 'Tenants')).toHaveCount(0);
		await menu(page, 'Customers').click();
		await expect(page.getByRole('status').filter({ hasText: 'Nothing matches.' })).toBeVisible();
	});
});

test.describe('a single-tenant deployment', () => {
	test('names no organisation, offers no tenants and asks for no organisation at sign-up', async ({ page }) => {
		await logIn(page, '/');
		await expect(page.getByRole('heading', { name: /^Welcome/ })).toBeVisible();
		await page.waitForLoadState('networkidle');
		await expect(tenantName(page)).toHaveCount(0);
		await expect(menu(page, 'Tenants')).toHaveCount(0);
		await page.goto('/tenants');
		await expect(page.getByText('This deployment serves a single organisation')).toBeVisible();

		// This server keeps registration closed; opened, its form would ask for no organisation.
		await page.route('**/v1/auth/options', (route) =>
			route.fulfill({ json: { registration: 'open', registration_roles: ['viewer'], tenancy: 'single' } })
		);
		await page.goto('/signup');
		await expect(page.getByLabel('First name')).toBeVisible();
		await expect(page.getByTestId('what-you-get')).toContainText('You start with these roles: viewer');
		await expect(page.getByLabel('Organisation')).toHaveCount(0);
	});
});
