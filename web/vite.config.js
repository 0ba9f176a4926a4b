import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

// `npm run dev` serves the app with hot reload and forwards API calls to a running server
// (`cargo run --example server`), so the browser sees one origin as it does in production.
const api = process.env.GOTEMP_API ?? 'http://127.0.0.1:8080';

export default defineConfig({
	plugins: [sveltekit()],
	// Per-plugin timings are for profiling the build, not for every run's output.
	build: { rolldownOptions: { checks: { pluginTimings: false } } },
	server: {
		proxy: { '/v1': api }
	}
});
