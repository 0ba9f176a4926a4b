// Two languages: the catalogues agree with each other and with the code, and a person who
// switches to Spanish keeps it across pages and reloads and reads the server's validation
// failures in Spanish next to the fields they are about.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect, logIn, shoot, test } from './server.js';

const dir = join(import.meta.dirname, '..', 'src');
const catalogue = (lang) => JSON.parse(readFileSync(join(dir, 'lib', 'i18n', `${lang}.json`), 'utf8'));

/** `{ 'a.b': text }` from nested messages. */
function flatten(messages, prefix = '', out = {}) {
	for (const [key, value] of Object.entries(messages)) {
		const path = prefix ? `${prefix}.${key}` : key;
		if (typeof value === 'object') flatten(value, path, out);
		else out[path] = value;
	}
	return out;
}

/** The argument names of an ICU message (`{name}`, `{count, plural, …}`). */
const args = (text) => [...new Set([...text.matchAll(/\{\s*([a-z_]+)\s*[,}]/gi)].map((m) => m[1]))].sort();

test('every message exists in English and Spanish with the same arguments', () => {
	const en = flatten(catalogue('en'));
	const es = flatten(catalogue('es'));
	expect(Object.keys(en).length).toBeGreaterThan(100);
	expect(Object.keys(es).filter((k) => !(k in en)), 'keys only Spanish has').toEqual([]);
	expect(Object.keys(en).filter((k) => !(k in es)), 'keys Spanish lacks').toEqual([]);
	for (const [key, text] of Object.entries(en)) expect(args(es[key]), key).toEqual(args(text));
});

test('every message the code asks for by name is in the catalogue', () => {
	const en = flatten(catalogue('en'));
	const files = [];
	const walk = (d) => {
		for (const name of readdirSync(d)) {
			const path = join(d, name);
			if (statSync(path).isDirectory()) walk(path);
			else if (/\.(svelte|js)$/.test(name)) files.push(path);
		}
	};
	walk(dir);
	const missing = [];
	for (const file of files) {
		// Literal keys only: t('a.b'); keys built at run time come with a default or are listed.
		for (const m of readFileSync(file, 'utf8').matchAll(/\bt\('([a-z_.]+)'/g)) if (!(m[1] in en)) missing.push(`${file}: ${m[1]}`);
	}
	expect(missing).toEqual([]);
});

test('in Spanish, a record is created after a validation failure shown in Spanish', async ({ page }) => {
	await logIn(page, '/');
	await page.getByTestId('language').selectOption('es');
	// The page comes back in Spanish, and stays so on the next pages.
	await expect(page.getByRole('link', { name: 'Clientes', exact: true })).toBeVisible();
	await expect(page.locator('html')).toHaveAttribute('lang', 'es');
	await page.getByRole('link', { name: 'Clientes', exact: true }).click();
	await page.getByRole('link', { name: 'Nuevo cliente' }).click();
	// The list has a "Clave" filter too: fill the form only once the new record's page is shown.
	await expect(page).toHaveURL(/\/new\/customers$/);
	await expect(page.getByRole('button', { name: 'Crear cliente' })).toBeVisible();
	await page.getByLabel('Clave').fill('e2e-tienda');
	await expect(page.getByLabel('Clave')).toHaveValue('e2e-tienda');
	await page.getByRole('button', { name: 'Crear cliente' }).click();
	// The server's rule, in the language the page asked for, next to its field.
	const name = page.getByLabel('Nombre', { exact: true });
	await expect(name).toHaveAttribute('aria-invalid', 'true');
	await expect(name).toHaveAccessibleDescription('Nombre es obligatorio');
	await expect(page.getByRole('alert')).toContainText('Datos no válidos');
	await shoot(page, '13-spanish-validation');
	await name.fill('Tienda E2E');
	await page.getByRole('button', { name: 'Crear cliente' }).click();
	await expect(page).toHaveURL(/\/customers\/e2e-tienda\?created=1$/);
	await expect(page.getByRole('status').filter({ hasText: 'Registro creado' })).toBeVisible();
	await page.reload();
	await expect(page.getByRole('heading', { name: 'Sobre este registro' })).toBeVisible();

	// Back to English for the other tests of this browser.
	await page.getByTestId('language').selectOption('en');
	await expect(page.getByRole('heading', { name: 'About this record' })).toBeVisible();
});
