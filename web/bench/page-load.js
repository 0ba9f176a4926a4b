// How fast the web UI's main pages become usable in Chromium, cold (empty cache) and warm (the
// hashed assets cached): a benchmark, not a test. Start a server with the UI built, then
//   node bench/page-load.js [base URL, default http://127.0.0.1:8080] [runs, default 10]
// Credentials: GOTEMP_ADMIN_EMAIL / GOTEMP_ADMIN_PASSWORD (the server example's defaults).
import { chromium } from '@playwright/test';

const base = process.argv[2] ?? 'http://127.0.0.1:8080';
const runs = Number(process.argv[3] ?? 10);
const email = process.env.GOTEMP_ADMIN_EMAIL ?? 'admin@gotemp.local';
const password = process.env.GOTEMP_ADMIN_PASSWORD ?? 'change-me-now';

// Each page and what "usable" means on it: its data on screen, not just the shell.
const pages = [
	['/login', (p) => p.getByRole('button', { name: 'Log in' }).waitFor()],
	['/', (p) => p.getByTestId('count-promotions').filter({ hasText: /\d/ }).waitFor()],
	['/promotions', (p) => p.getByRole('table').waitFor()],
	['/promotions/1', (p) => p.getByTestId('history').waitFor()],
	['/customers/ducksrus', (p) => p.getByTestId('hierarchy-children').waitFor()]
];

const browser = await chromium.launch({
	executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
	args: ['--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
});
const login = await fetch(`${base}/v1/auth/login`, {
	method: 'POST',
	headers: { 'content-type': 'application/json' },
	body: JSON.stringify({ email, password })
}).then((r) => r.json());
if (!login.token) throw new Error(`login failed: ${JSON.stringify(login)}`);
const session = JSON.stringify({ token: login.token, expires_at: login.expires_at, user: login.user });

async function measure(context, path, ready) {
	const page = await context.newPage();
	const started = performance.now();
	await page.goto(base + path);
	await ready(page);
	const usable = performance.now() - started;
	const timing = await page.evaluate(() => {
		const nav = performance.getEntriesByType('navigation')[0];
		const bytes = performance.getEntriesByType('resource').reduce((n, r) => n + r.transferSize, nav.transferSize);
		return { dcl: nav.domContentLoadedEventEnd, bytes };
	});
	await page.close();
	return { usable, ...timing };
}

const median = (xs) => xs.toSorted((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
for (const [path, ready] of pages) {
	const cold = [];
	const warm = [];
	for (let i = 0; i < runs; i++) {
		const context = await browser.newContext();
		await context.addInitScript((s) => sessionStorage.setItem('gotemp.session', s), session);
		cold.push(await measure(context, path, ready));
		warm.push(await measure(context, path, ready));
		await context.close();
	}
	rows.push({
		path,
		coldDcl: median(cold.map((m) => m.dcl)),
		coldUsable: median(cold.map((m) => m.usable)),
		coldKb: median(cold.map((m) => m.bytes)) / 1024,
		warmUsable: median(warm.map((m) => m.usable)),
		warmKb: median(warm.map((m) => m.bytes)) / 1024
	});
}
await browser.close();

console.log(`web UI page loads, ${base}, median of ${runs} (Chromium ${browser.version()})\n`);
// "usable": from asking for the page until its data is on screen, as Playwright sees it.
console.log('| page | cold: DOM ready | cold: usable | cold: transferred | warm: usable | warm: transferred |');
console.log('|---|---|---|---|---|---|');
for (const r of rows) {
	console.log(`| ${r.path} | ${r.coldDcl.toFixed(0)} ms | ${r.coldUsable.toFixed(0)} ms | ${r.coldKb.toFixed(0)} KiB | ${r.warmUsable.toFixed(0)} ms | ${r.warmKb.toFixed(0)} KiB |`);
}
