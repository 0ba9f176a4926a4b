import adapter from '@sveltejs/adapter-static';

/** A single-page application: every route renders in the browser, and gotemp-http answers
 * unknown paths with `index.html` so deep links and reloads land in the app. */
export default {
	// Compiler warnings (accessibility above all) fail the build, as clippy's do with -D warnings.
	onwarn(warning) {
		throw new Error(`${warning.filename}:${warning.start?.line}: ${warning.message} (${warning.code})`);
	},
	kit: {
		adapter: adapter({ fallback: 'index.html' })
	}
};
