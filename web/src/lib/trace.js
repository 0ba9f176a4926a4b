// Where traces can be seen: the deployment's GOTEMP_TRACE_URL with `{trace_id}` in place of the
// id, offered by /v1/auth/options. Read once per page load.
import { call } from '$lib/api.js';

let template = null;

function load() {
	template ??= call('GET', '/v1/auth/options', { auth: false }).then(
		(r) => r.data.trace_url ?? null,
		() => null
	);
	return template;
}

/** The link to trace `id`, or null when the deployment names no tracing backend. */
export async function traceUrl(id) {
	const url = await load();
	return url && /^[0-9a-f]{32}$/.test(id) ? url.replaceAll('{trace_id}', id) : null;
}
