// End-to-end tests of the web front end in Debian's Chromium (playwright-core drives it; the
// Playwright browser download is not used). They run against the server example on a fresh
// SQLite directory with the built application, as a person would start it.
import { defineConfig } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { admin, demoPassword, multiPort, port } from './tests/server.js';

const root = resolve(import.meta.dirname, '..');
const server = process.env.GOTEMP_SERVER ?? `cargo run --quiet --manifest-path ${root}/Cargo.toml --example server`;

/** The server on `port`, in `dataDir` (a fresh directory unless given), with `env` besides. */
function webServer(port, dataDir, env) {
	return {
		command: server,
		cwd: dataDir ?? mkdtempSync(join(tmpdir(), 'gotemp-e2e-')),
		url: `http://127.0.0.1:${port}/readyz`,
		reuseExistingServer: false,
		timeout: 600_000,
		stdout: 'pipe',
		gracefulShutdown: { signal: 'SIGTERM', timeout: 5_000 },
		env: {
			GOTEMP_HTTP_ADDR: `127.0.0.1:${port}`,
			GOTEMP_GRPC_ADDR: '127.0.0.1:0',
			// No GOTEMP_HTTP_WEB_DIR: the example serves the UI built into it (web/dist, committed),
			// as it does for a newcomer with only the Rust toolchain.
			GOTEMP_ADMIN_EMAIL: admin.email,
			GOTEMP_ADMIN_PASSWORD: admin.password,
			GOTEMP_DEMO_PASSWORD: demoPassword,
			// Traced (to a port nobody answers: the spans are dropped), so audit records carry
			// trace ids and the UI links them.
			OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
			OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
			GOTEMP_TRACE_URL: 'https://traces.example/trace/{trace_id}',
			// The export errors that port's refusal makes are expected: not logged.
			RUST_LOG: 'warn,opentelemetry_sdk=off',
			...env
		}
	};
}

export default defineConfig({
	testDir: 'tests',
	timeout: 90_000,
	expect: { timeout: 15_000 },
	workers: 1,
	reporter: [['list']],
	outputDir: 'test-results/output',
	use: {
		baseURL: `http://127.0.0.1:${port}`,
		screenshot: 'only-on-failure',
		trace: 'retain-on-failure',
		launchOptions: {
			executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
			args: ['--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
		}
	},
	webServer: [
		webServer(port, process.env.GOTEMP_E2E_DATA, {}),
		// A multi-tenant deployment beside it (tenants.spec.js): the platform with its operator,
		// the demo tenants ducks and geese, and open registration, which starts organisations.
		webServer(multiPort, process.env.GOTEMP_E2E_MULTI_DATA, { GOTEMP_TENANCY: 'multi', GOTEMP_REGISTRATION: 'open' })
	]
});
