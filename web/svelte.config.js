import adapter from '@sveltejs/adapter-static';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The application's version: a digest of its sources, so one source tree always builds the
 * same bytes (the built files are committed in `dist/` and checked against `src/`) and any change
 * to it is a new version for SvelteKit's update check. */
function sourceDigest(dir) {
	const hash = createHash('sha256');
	const walk = (d) => {
		for (const entry of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
			const path = join(d, entry.name);
			if (entry.isDirectory()) walk(path);
			else hash.update(path).update(readFileSync(path));
		}
	};
	walk(dir);
	return hash.digest('hex').slice(0, 12);
}

/** A single-page application: every route renders in the browser, and gotemp-http answers
 * unknown paths with `index.html` so deep links and reloads land in the app. */
export default {
	// Compiler warnings (accessibility above all) fail the build, as clippy's do with -D warnings.
	onwarn(warning) {
		throw new Error(`${warning.filename}:${warning.start?.line}: ${warning.message} (${warning.code})`);
	},
	kit: {
		// Built into dist/, which is committed: the server serves the UI with no Node.js around.
		adapter: adapter({ pages: 'dist', assets: 'dist', fallback: 'index.html' }),
		version: { name: sourceDigest('src') },
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
