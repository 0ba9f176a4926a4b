// The audit trail's hash chain on the audit page: those who read the trail see it verified and
// take its latest signed checkpoint away; a break is shown as an alert; others see none of it.
import { readFile } from 'node:fs/promises';
import { test, expect, logIn, shoot, demoPassword } from './server.js';

const auditor = { email: 'erin.audit@gotemp.example', password: demoPassword };
const viewer = { email: 'bob.jones@patoloco.example', password: demoPassword };

const chainOf = (page) => page.getByRole('region', { name: 'Integrity of the audit trail' });

test('an auditor sees the audit trail verified and downloads its latest signed checkpoint', async ({ page }) => {
	await logIn(page, '/audit', auditor);
	const chain = chainOf(page);
	await expect(chain.getByRole('status')).toHaveText(/Audit trail verified: records 1 to \d+, \d+ checkpoints?, checked at .+/);
	await expect(chain.getByRole('alert')).toHaveCount(0);

	// The server signs the first checkpoint shortly after the first records arrive: verify again
	// until it shows.
	const latest = chain.getByText(/Latest signed checkpoint: \d+ records?, /);
	await expect(async () => {
		await chain.getByRole('button', { name: 'Verify again' }).click();
		await expect(latest).toBeVisible({ timeout: 2_000 });
	}).toPass();
	await expect(chain.getByRole('status')).toHaveText(/Audit trail verified: records 1 to \d+, [1-9]\d* checkpoints?, checked at .+/);
	const size = Number((await latest.textContent()).match(/: (\d+) record/)[1]);
	await expect(chain.getByText(/keep it outside gotemp/)).toContainText('gotemp audit verify --checkpoint FILE');

	// The key that signed it, with the whole verifier a click away.
	const key = chain.getByText(/^Signed with key [0-9a-f]{8}$/);
	await expect(key).toBeVisible();
	await key.click();
	await expect(chain.getByText(/^gotemp-audit\+[0-9a-f]{8}\+\S+$/)).toBeVisible();
	await shoot(page, '14-audit-chain');

	const downloading = page.waitForEvent('download');
	await chain.getByRole('link', { name: 'Download checkpoint' }).click();
	const download = await downloading;
	expect(download.suggestedFilename()).toBe(`audit-default-${size}.note`);
	const note = await readFile(await download.path(), 'utf8');
	expect(note.startsWith('gotemp-audit/default\n')).toBe(true);
	expect(note.split('\n')[1]).toBe(String(size));
	expect(note).toMatch(/^\u2014 gotemp-audit \S+$/m);
});

test('a break in the chain is an alert naming the record and how; a long chain is checked call after call', async ({ page }) => {
	const asked = [];
	let answer = 'broken';
	await page.route(/\/v1\/audit\/verify(\?.*)?$/, (route) => {
		const from = new URL(route.request().url()).searchParams.get('from_seq');
		asked.push(from);
		const empty = { ok: true, verified_from_seq: 1, verified_to_seq: 0, head_seq: 0, checkpoints_verified: 0, broken: null };
		const first = { ok: true, verified_from_seq: 1, verified_to_seq: 10000, head_seq: 25000, next_from_seq: 10001, checkpoints_verified: 3, broken: null };
		const rest = {
			ok: false,
			verified_from_seq: 10001,
			verified_to_seq: 12344,
			head_seq: 25000,
			checkpoints_verified: 1,
			broken: { seq: 12345, reason: 'changed', detail: 'the hash of record 12345 does not match' }
		};
		// A chain of a million records: each answer leads on to the next 10,000, up to its head.
		const start = Number(from ?? 1);
		const long = { ...first, verified_from_seq: start, verified_to_seq: start + 9999, head_seq: 1_000_000, next_from_seq: start + 10000 };
		if (long.verified_to_seq === long.head_seq) delete long.next_from_seq;
		route.fulfill({ json: { empty, long }[answer] ?? (from === null ? first : rest) });
	});
	await page.route(/\/v1\/audit\/checkpoints$/, (route) => route.fulfill({ status: 404, json: { title: 'Not Found', status: 404 } }));

	await logIn(page, '/audit');
	const chain = chainOf(page);
	const alert = chain.getByRole('alert');
	await expect(alert).toContainText('The audit trail is broken at record 12345: a record was changed');
	await expect(alert).toContainText('the hash of record 12345 does not match');
	await expect(alert).toContainText('Intact up to record 12344');
	expect(asked).toEqual([null, '10001']);
	await expect(chain.getByText('No signed checkpoint yet')).toBeVisible();
	await expect(chain.getByRole('link', { name: 'Download checkpoint' })).toHaveCount(0);
	await expect(chain.getByText(/^Checkpoints are signed with key [0-9a-f]{8}$/)).toBeVisible();
	await shoot(page, '15-audit-chain-broken');

	answer = 'empty';
	await chain.getByRole('button', { name: 'Verify again' }).click();
	await expect(chain.getByRole('status')).toHaveText('No audit records yet');
	await expect(alert).toHaveCount(0);

	// Fifty calls in a row at most; then the person may go on from where the check stopped.
	answer = 'long';
	asked.length = 0;
	await chain.getByRole('button', { name: 'Verify again' }).click();
	await expect(chain.getByRole('status')).toContainText('Records 1 to 500000 of 1000000 verified, 150 checkpoints');
	await expect(chain.getByRole('status')).toContainText('the rest is not checked yet');
	expect(asked).toHaveLength(50);
	await chain.getByRole('button', { name: 'Continue checking' }).click();
	await expect(chain.getByRole('status')).toContainText('Audit trail verified: records 1 to 1000000, 300 checkpoints');
	expect(asked[50]).toBe('500001');
});

test('a viewer, who does not read the audit trail, is shown no chain and asks for none', async ({ page }) => {
	const asked = [];
	page.on('request', (r) => {
		if (/\/v1\/audit\/(verify|checkpoints)/.test(r.url())) asked.push(r.url());
	});
	await logIn(page, '/audit', viewer);
	// The list itself is refused, in words; the chain is not offered at all.
	await expect(page.getByRole('alert')).toContainText('You do not have permission for this');
	await expect(page.getByTestId('audit-chain')).toHaveCount(0);
	await expect(page.getByText(/audit trail verified|signed checkpoint/i)).toHaveCount(0);
	expect(asked).toEqual([]);
});
