import adapter from '@sveltejs/adapter-static';

/** A single-page application: every route renders in the browser, and gotemp-http answers
 * unknown paths with `index.html` so deep links and reloads land in the app. */
export default {
	// Compiler warnings (accessibility above all) fail the build, as clippy's do with -D warnings.
	onwarn(warning) {
		throw new Error(`${warning.filename}:${warning.start?.line}: ${warning.message} (${warning.code})`);
	},
	kit: {
		adapter: adapter({ fallback: 'index.html' }),
		// The page may run only the scripts it was built with (their hashes go into a <meta>
		// policy) and talk only to its own origin, so injected markup cannot run or phone out.
		csp: {
			mode: 'hash',
			directives: {
				'default-src': ['self'],
				'script-src': ['self'],
				'style-src': ['self', 'unsafe-inline'],
				'img-src': ['self', 'data:'],
				'connect-src': ['self'],
				'object-src': ['none'],
				'base-uri': ['self'],
				'form-action': ['self']
			}
		}
	}
};
