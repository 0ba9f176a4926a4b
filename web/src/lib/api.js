// The one way the app talks to gotemp's HTTP API: bearer token on every call, problem+json
// errors turned into ApiError with per-field messages, and a lapsed session sent back to login.

import { session, signOut } from './session.svelte.js';
import { language, t } from './i18n/index.js';

/** A failed call, carrying the problem details the API returned. */
export class ApiError extends Error {
	constructor(status, problem) {
		super(problem.detail || problem.title || `HTTP ${status}`);
		this.status = status;
		this.type = problem.type ?? 'about:blank';
		// A refusal by the caller's roles says so in words; the detail names the permission.
		this.title = status === 403 ? t('problem.forbidden') : (problem.title ?? '');
		this.errors = problem.errors ?? [];
		this.requestId = problem.request_id;
	}

	/** Messages by field name (`name`, `products[0].discounts[1].value`, …). */
	get fields() {
		const out = {};
		for (const e of this.errors) out[e.field] = out[e.field] ? `${out[e.field]}; ${e.message}` : e.message;
		return out;
	}

	/** Someone else changed the record since it was read. */
	get stale() {
		return this.status === 412 || this.type === 'urn:gotemp:problem:stale-version';
	}
}

async function problemOf(response) {
	try {
		return await response.json();
	} catch {
		return { title: response.statusText, detail: t('problem.status', { status: response.status }) };
	}
}

/**
 * Calls the API. Returns `{ data, etag, location }`; throws ApiError on any error status.
 * `ifMatch` sends the version an update or delete is based on, so a stale one fails with 412.
 * `own401`: a 401 is the caller's to handle instead of ending the session.
 */
export async function call(method, path, { body, ifMatch, auth = true, own401 = false } = {}) {
	// The API answers (its error messages above all) in the page's language.
	const headers = { accept: 'application/json', 'accept-language': language() };
	if (body !== undefined) headers['content-type'] = 'application/json';
	if (auth && session.current) headers.authorization = `Bearer ${session.current.token}`;
	if (ifMatch !== undefined && ifMatch !== null) headers['if-match'] = `"${ifMatch}"`;
	let response;
	try {
		response = await fetch(path, {
			method,
			headers,
			body: body === undefined ? undefined : JSON.stringify(body)
		});
	} catch {
		throw new ApiError(0, { title: t('problem.network_title'), detail: t('problem.network_detail') });
	}
	// The layout sees the session end and sends the person to login, then back here; a caller
	// whose 401 can mean something else (a wrong current password) decides for itself.
	if (response.status === 401 && auth && !own401) signOut('expired');
	if (!response.ok) throw new ApiError(response.status, await problemOf(response));
	const data = response.status === 204 ? null : await response.json();
	const etag = response.headers.get('etag')?.replaceAll('"', '') ?? null;
	return { data, etag, location: response.headers.get('location') };
}

export const get = (path) => call('GET', path).then((r) => r.data);

/** A query string from the non-empty entries of an object. */
export function query(params) {
	const q = new URLSearchParams();
	for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
	const s = q.toString();
	return s ? `?${s}` : '';
}
