// The acceptance path: log in, find a customer, create a promotion with a product and a
// discount (after a validation error shown at its field), edit it, read the change in its
// history, lose a race against a second tab, reload, log out.
import { admin, expect, logIn, menu, shoot, test } from './server.js';

test('a person manages a promotion from login to logout', async ({ page, context }) => {
	await test.step('an anonymous visit is sent to login, which leads back', async () => {
		await page.goto('/promotions');
		await expect(page).toHaveURL(/\/login\?next=%2Fpromotions/);
		await shoot(page, '01-login');
		await page.getByLabel('E-mail').fill(admin.email);
		await page.getByLabel('Password').fill('not the password');
		await page.getByRole('button', { name: 'Log in' }).click();
		await expect(page.getByRole('alert')).toContainText('do not match');
		await page.getByLabel('Password').fill(admin.password);
		await page.getByRole('button', { name: 'Log in' }).click();
		await expect(page).toHaveURL(/\/promotions$/);
		await expect(page.getByRole('heading', { name: 'Promotions' })).toBeVisible();
		await expect(page.getByRole('cell', { name: 'Ducks R Us', exact: true }).first()).toBeVisible();
	});

	await test.step('the landing page counts records and charts the activity', async () => {
		await menu(page, 'Home').click();
		// The seeded six; no test adds products.
		await expect(page.getByTestId('count-products')).toHaveText('6');
		await expect(page.getByTestId('count-users')).toHaveText(/^\d+$/);
		await expect(page.getByRole('img', { name: /Changes per hour/ })).toBeVisible();
		await shoot(page, '02-home');
	});

	await test.step('customers are searched by name', async () => {
		await menu(page, 'Customers').click();
		await page.getByLabel('Name', { exact: true }).fill('Pato Loco Inc');
		await page.getByRole('button', { name: 'Search' }).click();
		await expect(page).toHaveURL(/name=Pato\+Loco\+Inc/);
		const rows = page.getByRole('table').getByRole('row');
		await expect(rows).toHaveCount(2);
		await expect(rows.nth(1)).toContainText('patoloco');
		await shoot(page, '03-customers-search');
		await page.getByRole('link', { name: 'patoloco' }).click();
		await expect(page.getByRole('heading', { name: 'Pato Loco Inc', level: 1 })).toBeVisible();
		await expect(page.getByTestId('history')).toContainText('Created');
	});

	await test.step('a rejected discount is marked at its field, then the promotion is created', async () => {
		await menu(page, 'Promotions').click();
		await page.getByRole('link', { name: 'New promotion' }).click();
		// The list has a Name filter too: type only once the new promotion's form is there.
		await expect(page.getByRole('button', { name: 'Create promotion' })).toBeVisible();
		await page.getByLabel('Name', { exact: true }).fill('E2E Winter Sale');
		await page.getByLabel('Customer key', { exact: true }).fill('patoloco');
		await expect(page.getByText('Customer: Pato Loco Inc')).toBeVisible();
		await page.getByRole('button', { name: 'Add a product' }).click();
		await page.getByLabel('Product 1 key').fill('tele');
		await page.getByLabel('Product 1 UPC code').fill('upc-e2e-tele');
		await page.getByLabel('Discount 1 value').fill('-5');
		await page.getByLabel('Discount 1 description').fill('winter');
		await page.getByRole('button', { name: 'Create promotion' }).click();
		const value = page.getByLabel('Discount 1 value');
		await expect(value).toHaveAttribute('aria-invalid', 'true');
		await expect(value).toHaveAccessibleDescription('Discount 1 value must be a positive number');
		await expect(value).toBeFocused();
		await expect(page.getByLabel('Name', { exact: true })).not.toHaveAttribute('aria-invalid', 'true');
		await shoot(page, '04-promotion-validation');
		await value.fill('15');
		await page.getByRole('button', { name: 'Create promotion' }).click();
		await expect(page).toHaveURL(/\/promotions\/\d+\?created=1$/);
		await expect(page.getByRole('status').filter({ hasText: 'Created this promotion' })).toBeVisible();
		await expect(page.getByTestId('version')).toHaveText('1');
		// The customer's name as the promotion service looked it up.
		await expect(page.getByRole('link', { name: 'Pato Loco Inc' })).toHaveAttribute('href', '/customers/patoloco');
		await expect(page.getByLabel('Discount 1 value')).toHaveValue('15');
	});
	const promotionUrl = page.url().replace(/\?.*$/, '');

	await test.step('an edit is saved and shows in the history', async () => {
		await page.getByLabel('Description', { exact: true }).fill('Coats and TVs');
		await page.getByRole('button', { name: 'Add a discount to product 1' }).click();
		await page.getByLabel('Discount 2 value').fill('2.5');
		await page.getByLabel('Discount 2 type').selectOption('2');
		await page.getByRole('button', { name: 'Save changes' }).click();
		await expect(page.getByRole('status').filter({ hasText: 'now at version 2' })).toBeVisible();
		const history = page.getByTestId('history');
		await expect(history.getByRole('listitem').filter({ hasText: 'Changed' })).toContainText('description');
		await expect(history).toContainText('Coats and TVs');
		await expect(history).toContainText('version 2');
		await shoot(page, '05-promotion-saved');
	});

	await test.step('a change from a second tab makes this tab’s save a conflict', async () => {
		const other = await context.newPage();
		// Each tab keeps its own session, as a second person would.
		await logIn(other, promotionUrl);
		await expect(other.getByTestId('version')).toHaveText('2');
		await other.getByLabel('Name', { exact: true }).fill('E2E Winter Sale (by tab two)');
		await other.getByRole('button', { name: 'Save changes' }).click();
		await expect(other.getByTestId('version')).toHaveText('3');
		await other.close();

		await page.getByLabel('Active', { exact: true }).check();
		await page.getByRole('button', { name: 'Save changes' }).click();
		const conflict = page.getByTestId('conflict');
		await expect(conflict).toContainText('Someone else changed this promotion');
		await shoot(page, '06-promotion-conflict');
		await conflict.getByRole('button', { name: 'Reload their version' }).click();
		await expect(conflict).toBeHidden();
		await expect(page.getByLabel('Name', { exact: true })).toHaveValue('E2E Winter Sale (by tab two)');
		await expect(page.getByLabel('Active', { exact: true })).not.toBeChecked();
		await expect(page.getByTestId('version')).toHaveText('3');
		await expect(page.getByTestId('history')).toContainText('E2E Winter Sale (by tab two)');
	});

	await test.step('the promotion is found by product and shows its customer by name', async () => {
		await menu(page, 'Promotions').click();
		await page.getByLabel('Product key').fill('tele');
		await page.getByLabel('Customer key', { exact: true }).fill('patoloco');
		await page.getByRole('button', { name: 'Search' }).click();
		const row = page.getByRole('row').filter({ hasText: 'E2E Winter Sale (by tab two)' });
		await expect(row).toContainText('Pato Loco Inc');
		// Every row found is this customer's and includes the product.
		for (const found of await page.getByRole('table').getByRole('row').all().then((r) => r.slice(1))) {
			await expect(found).toContainText('Pato Loco Inc');
			await expect(found).toContainText('tele');
		}
		await shoot(page, '07-promotions');
	});

	await test.step('logging out forgets the token', async () => {
		await page.getByRole('button', { name: 'Log out' }).click();
		await expect(page).toHaveURL(/\/login\?out=1/);
		await expect(page.getByText('You are logged out')).toBeVisible();
		await page.goto(promotionUrl);
		await expect(page).toHaveURL(/\/login\?next=/);
		expect(await page.evaluate(() => sessionStorage.getItem('gotemp.session'))).toBeNull();
	});
});
