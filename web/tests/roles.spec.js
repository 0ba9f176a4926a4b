// What each role is offered, and what the server answers when someone tries anyway: a viewer
// reads but sees no write buttons, and a 403 is said in words; an editor changes master data but
// not users; everyone changes their own password from their profile and logs in again.
import { test, expect, logIn, menu, demoPassword } from './server.js';

const viewer = { email: 'bob.jones@patoloco.example', password: demoPassword };
const editor = { email: 'ann.smith@ducksrus.example', password: demoPassword };
const auditor = { email: 'erin.audit@gotemp.example', password: demoPassword };

test('sign-up is not offered while registration is closed', async ({ page }) => {
	await page.goto('/login');
	await expect(page.getByRole('button', { name: 'Log in' })).toBeVisible();
	await expect(page.getByRole('link', { name: 'Sign up' })).toHaveCount(0);
	await page.goto('/signup');
	await expect(page.getByText('Registration is closed')).toBeVisible();
});

test('a viewer reads master data, is offered no change, and is told why a change is refused', async ({ page }) => {
	await logIn(page, '/', viewer);
	await expect(menu(page, 'Customers')).toBeVisible();
	await expect(menu(page, 'Users')).toHaveCount(0);
	await expect(menu(page, 'Audit trail')).toHaveCount(0);

	await menu(page, 'Customers').click();
	await expect(page.getByRole('link', { name: 'ducksrus', exact: true })).toBeVisible();
	await expect(page.getByRole('link', { name: 'New customer' })).toHaveCount(0);

	await page.goto('/customers/ducksrus');
	await expect(page.getByLabel('Name', { exact: true })).toHaveValue('Ducks R Us');
	await expect(page.getByTestId('read-only')).toBeVisible();
	await expect(page.getByRole('button', { name: 'Save changes' })).toHaveCount(0);
	await expect(page.getByRole('button', { name: 'Delete…' })).toHaveCount(0);
	await expect(page.getByRole('form', { name: 'Add a link' })).toHaveCount(0);

	// Typing the address of a form is not a way around the roles: the server refuses, in words.
	await page.goto('/new/customers');
	await expect(page.getByRole('button', { name: 'Create customer' })).toHaveCount(0);
	await page.goto('/users/1');
	await expect(page.getByRole('alert')).toContainText('You do not have permission for this');
	await expect(page.getByRole('alert')).toContainText('users:read');
});

test('an editor changes customers but is offered nothing on users', async ({ page }) => {
	await logIn(page, '/', editor);
	await expect(menu(page, 'Users')).toHaveCount(0);
	await menu(page, 'Customers').click();
	await expect(page.getByRole('link', { name: 'New customer' })).toBeVisible();
	await page.goto('/new/customers');
	await expect(page.getByRole('button', { name: 'Create customer' })).toBeVisible();
	await page.getByLabel('Key').fill('e2e-editor-shop');
	await page.getByLabel('Name', { exact: true }).fill('Editor Shop');
	await expect(page.getByLabel('Key')).toHaveValue('e2e-editor-shop');
	await page.getByRole('button', { name: 'Create customer' }).click();
	await expect(page).toHaveURL(/\/customers\/e2e-editor-shop\?created=1$/);
	// Once the stored record is shown (its load would replace what was typed before it).
	await expect(page.getByTestId('version')).toHaveText('1');
	await page.getByLabel('Name', { exact: true }).fill('Editor Shop & Co');
	await page.getByRole('button', { name: 'Save changes' }).click();
	await expect(page.getByRole('status').filter({ hasText: 'Saved' })).toBeVisible();
	// The history of a record is the audit trail's, which an editor does not read.
	await expect(page.getByRole('heading', { name: 'History' })).toHaveCount(0);
});

test('a user changes their own password on their profile and logs in again with it', async ({ page }) => {
	await logIn(page, '/', auditor);
	await expect(menu(page, 'Audit trail')).toBeVisible();
	await page.getByTestId('signed-in-as').click();
	await expect(page).toHaveURL(/\/me$/);
	await expect(page.getByTestId('my-roles')).toHaveText('auditor');

	const form = page.getByRole('form', { name: 'Change password' });
	await form.getByLabel('Current password').fill('not the password');
	await form.getByLabel('New password').fill('a brand new password');
	await form.getByRole('button', { name: 'Change password' }).click();
	await expect(form.getByRole('alert')).toContainText('The current password is not right');

	await form.getByLabel('Current password').fill(demoPassword);
	await form.getByLabel('New password').fill('a brand new password');
	await form.getByRole('button', { name: 'Change password' }).click();
	await expect(page).toHaveURL(/\/login\?password=1$/);
	await expect(page.getByRole('status')).toContainText('Your password was changed');
	await page.getByLabel('E-mail').fill(auditor.email);
	await page.getByLabel('Password').fill('a brand new password');
	await page.getByRole('button', { name: 'Log in' }).click();
	await expect(page.getByRole('heading', { name: 'Welcome, Erin' })).toBeVisible();
});
