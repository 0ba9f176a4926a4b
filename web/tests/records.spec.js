// The other record pages: users and customers from create to delete, the hierarchy, a lapsed
// session, a narrow screen, and an accessibility scan of the main pages.
import AxeBuilder from '@axe-core/playwright';
import { expect, logIn, menu, shoot, test } from './server.js';

test('a customer is created, linked into the hierarchy and deleted after confirmation', async ({ page }) => {
	await logIn(page, '/new/customers');
	await page.getByLabel('Key').fill('e2e-kiosk');
	await page.getByLabel('Extra fields (JSON)').fill('{"external_id": ');
	await page.getByRole('button', { name: 'Create customer' }).click();
	// Both the browser's own check (JSON) and the server's (name required) mark their fields.
	await expect(page.getByLabel('Extra fields (JSON)')).toHaveAccessibleDescription(/must be a JSON object/);
	await page.getByLabel('Extra fields (JSON)').fill('{"external_id": "K-1"}');
	await page.getByRole('button', { name: 'Create customer' }).click();
	await expect(page.getByLabel('Name', { exact: true })).toHaveAccessibleDescription('Name is required');
	await expect(page.getByLabel('Name', { exact: true })).toHaveAttribute('aria-invalid', 'true');
	await page.getByLabel('Name', { exact: true }).fill('E2E Kiosk');
	await page.getByRole('button', { name: 'Create customer' }).click();
	await expect(page).toHaveURL(/\/customers\/e2e-kiosk\?created=1$/);

	// Hang it under Ducks R Us as a sold-to child, and see it from both ends.
	await page.goto('/customers/ducksrus');
	await expect(page.getByTestId('hierarchy-children')).toContainText('Ducks R Us Dock');
	await page.getByLabel('Customer key', { exact: true }).fill('e2e-kiosk');
	await page.getByRole('button', { name: 'Add', exact: true }).click();
	await expect(page.getByTestId('hierarchy-children')).toContainText('E2E Kiosk');
	await shoot(page, '08-customer-hierarchy');
	await expect(page.getByRole('link', { name: 'Promotions for this customer →' })).toHaveAttribute('href', '/promotions?customer_id=ducksrus');
	await page.getByTestId('hierarchy-children').getByRole('link', { name: 'E2E Kiosk' }).click();
	await expect(page.getByTestId('hierarchy-parents')).toContainText('Ducks R Us');

	await page.getByRole('button', { name: 'Delete…' }).click();
	const dialog = page.getByRole('dialog', { name: 'Delete this customer?' });
	await expect(dialog).toBeVisible();
	await dialog.getByRole('button', { name: 'Cancel' }).click();
	await expect(dialog).toBeHidden();
	await expect(page.getByRole('heading', { name: 'E2E Kiosk', level: 1 })).toBeVisible();
	await page.getByRole('button', { name: 'Delete…' }).click();
	await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
	await expect(page).toHaveURL(/\/customers\?deleted=e2e-kiosk$/);
	await expect(page.getByRole('status').filter({ hasText: 'Deleted customer e2e-kiosk' })).toBeVisible();
	// The list beside the notice is the whole list again, without the deleted one.
	await expect(page.getByRole('link', { name: 'ducksrus', exact: true })).toBeVisible();
	await expect(page.getByRole('link', { name: 'e2e-kiosk' })).toHaveCount(0);
	await page.goto('/customers/e2e-kiosk');
	await expect(page.getByRole('alert')).toContainText('not found');
});

test('a user gets a duplicate e-mail and a bad period marked at their fields', async ({ page }) => {
	await logIn(page, '/new/users');
	await expect(page.getByLabel('Active (may log in)'), 'a new user starts inactive').not.toBeChecked();
	await page.getByLabel('First name').fill('Eve');
	await page.getByLabel('Last name').fill('Tester');
	await page.getByLabel('E-mail').fill('eve.e2e@example.com');
	await page.getByLabel('Valid thru').fill('2001-01-01T00:00');
	await page.getByLabel('Password').fill('a long enough password');
	await page.getByRole('button', { name: 'Create user' }).click();
	await expect(page.getByLabel('Valid thru')).toHaveAccessibleDescription(/Valid thru must be after valid_from/);
	await page.getByLabel('Valid thru').fill('2099-01-01T00:00');
	await page.getByRole('button', { name: 'Create user' }).click();
	await expect(page).toHaveURL(/\/users\/\d+\?created=1$/);
	await expect(page.getByTestId('history')).toContainText('Created');
	// The change was traced, and its record links the trace where the deployment keeps them.
	await expect(page.getByTestId('trace-link').first()).toHaveAttribute('href', /^https:\/\/traces\.example\/trace\/[0-9a-f]{32}$/);
	// The password never comes back, not even in the audit trail.
	await expect(page.locator('body')).not.toContainText('argon2');

	await page.goto('/new/users');
	await page.getByLabel('First name').fill('Eve');
	await page.getByLabel('Last name').fill('Again');
	await page.getByLabel('E-mail').fill('EVE.E2E@example.com');
	await page.getByLabel('Password').fill('another long password');
	await page.getByRole('button', { name: 'Create user' }).click();
	await expect(page.getByLabel('E-mail')).toHaveAccessibleDescription(/already exists/);
	await shoot(page, '09-user-duplicate');
});

test('a lapsed session goes back to login and returns to the page afterwards', async ({ page }) => {
	await logIn(page);
	await page.evaluate(() => {
		const saved = JSON.parse(sessionStorage.getItem('gotemp.session'));
		saved.token = saved.token.slice(0, -4) + 'AAAA';
		sessionStorage.setItem('gotemp.session', JSON.stringify(saved));
	});
	await page.goto('/products?name=Watch+me+TV');
	await expect(page).toHaveURL(/\/login\?expired=1&next=%2Fproducts%3Fname%3DWatch%2Bme%2BTV/);
	await expect(page.getByRole('status').filter({ hasText: 'session has ended' })).toBeVisible();
	await logIn(page, page.url());
	await expect(page).toHaveURL(/\/products\?name=Watch\+me\+TV$/);
	await expect(page.getByRole('table').getByRole('row')).toHaveCount(2);
});

test('on a narrow screen the menu folds away and lists scroll sideways', async ({ page }) => {
	await page.setViewportSize({ width: 390, height: 844 });
	await logIn(page, '/products');
	const toggler = page.getByRole('button', { name: 'Menu' });
	await expect(toggler).toHaveAttribute('aria-expanded', 'false');
	await expect(menu(page, 'Promotions')).toBeHidden();
	await shoot(page, '10-narrow-products');
	await toggler.click();
	await menu(page, 'Promotions').click();
	await expect(page.getByRole('heading', { name: 'Promotions' })).toBeVisible();
	await expect(toggler).toHaveAttribute('aria-expanded', 'false');
	// Nothing but the table's own scroller is wider than the screen.
	const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
	expect(overflow).toBeLessThanOrEqual(0);
	await page.getByRole('link', { name: '1', exact: true }).click();
	await expect(page.getByRole('heading', { name: 'Promo1' })).toBeVisible();
	await shoot(page, '11-narrow-promotion');
});

test('the main pages pass an accessibility scan and work from the keyboard', async ({ page }) => {
	await logIn(page);
	for (const path of ['/', '/customers', '/promotions/1', '/products/switch', '/new/users', '/audit']) {
		await page.goto(path);
		await page.getByRole('heading', { level: 1 }).waitFor();
		await page.waitForLoadState('networkidle');
		const scan = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa']).analyze();
		const serious = scan.violations.filter((v) => ['serious', 'critical'].includes(v.impact));
		expect(serious.map((v) => `${path}: ${v.id} ${v.help} (${v.nodes.map((n) => n.target).join(', ')})`)).toEqual([]);
	}
	await shoot(page, '12-audit');
	// The skip link is the first stop and moves focus to the content.
	await page.goto('/customers');
	await page.getByRole('heading', { level: 1 }).waitFor();
	await page.keyboard.press('Tab');
	await expect(page.getByRole('link', { name: 'Skip to main content' })).toBeFocused();
	await page.keyboard.press('Enter');
	await page.keyboard.press('Tab');
	await expect(page.getByRole('link', { name: 'New customer' })).toBeFocused();
	await page.keyboard.press('Tab');
	await expect(page.getByLabel('Key', { exact: true })).toBeFocused();
	await page.keyboard.type('ducksrusd');
	await page.keyboard.press('Enter');
	await expect(page).toHaveURL(/id=ducksrusd/);
	await expect(page.getByRole('table').getByRole('row')).toHaveCount(2);
});

test('the audit trail is filtered and paged forward and back', async ({ page }) => {
	await logIn(page, '/audit');
	const rows = page.getByRole('table').getByRole('row');
	// The login's own record arrives shortly after it (through the outbox): wait for it, so no
	// newer record moves the pages while they are turned.
	await expect(async () => {
		await page.reload();
		await expect(rows.nth(1)).toContainText('login', { timeout: 1_000 });
	}).toPass();
	// The seeding alone leaves more than a page of 20 records.
	await expect(rows).toHaveCount(21);
	const firstLink = rows.nth(1).getByRole('link').first();
	const first = await firstLink.getAttribute('href');
	await page.getByRole('button', { name: 'Next →' }).click();
	await expect(page.getByRole('status').filter({ hasText: 'page 2' })).toBeVisible();
	await expect(firstLink).not.toHaveAttribute('href', first);
	await page.getByRole('button', { name: '← Previous' }).click();
	await expect(firstLink).toHaveAttribute('href', first);
	await expect(page.getByRole('button', { name: '← Previous' })).toBeDisabled();

	await page.getByLabel('Object', { exact: true }).selectOption('customer');
	await page.getByLabel('Action').selectOption('insert');
	await page.getByRole('button', { name: 'Search' }).click();
	await expect(page).toHaveURL(/object_name=customer/);
	for (const row of (await rows.all()).slice(1)) await expect(row).toContainText('customer');
	await rows.nth(1).getByRole('link').click();
	await expect(page.getByRole('heading', { name: /Audit record \d+/ })).toBeVisible();
	await expect(page.getByText('The object after the change')).toBeVisible();

	// A malformed filter is named, not swallowed.
	await page.goto('/audit?performed_by=someone');
	await expect(page.getByLabel('Performed by (user id)')).toHaveAccessibleDescription(/Performed by \(user id\)/);
});
