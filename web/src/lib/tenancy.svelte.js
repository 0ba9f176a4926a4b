// Whose data the signed-in person works on. A multi-tenant deployment (GOTEMP_TENANCY=multi)
// keeps many organisations apart, and the menu bar names the person's own; a single-tenant one
// has just one, which the interface never names (its key is `default`).

import { call } from './api.js';

/**
 * `mode`: the deployment's tenancy (`single`, `multi`; null until known). `tenant`: the signed-in
 * person's tenant (`{ key, name }`) in a multi-tenant deployment, else null.
 */
export const tenancy = $state({ mode: null, tenant: null });

let options = null;

/**
 * The deployment's sign-up and tenancy options (`GET /v1/auth/options`, no token needed): asked
 * once per page load, and again after a failure.
 */
export function authOptions() {
	if (!options) {
		options = call('GET', '/v1/auth/options', { auth: false }).then((r) => {
			tenancy.mode = r.data.tenancy ?? 'single';
			return r.data;
		});
		options.catch(() => (options = null));
	}
	return options;
}

let asked = null;

/**
 * Learns the tenant of the session whose token is `token` (none: forgets it). Each token is asked
 * about once; an answer for an earlier session is dropped.
 */
export async function learnTenant(token) {
	if (token === asked) return;
	asked = token;
	tenancy.tenant = null;
	if (!token) return;
	try {
		const { tenancy: mode } = await authOptions();
		if (mode !== 'multi' || asked !== token) return;
		const { data } = await call('GET', '/v1/users/me/tenant');
		if (asked === token) tenancy.tenant = data;
	} catch {
		// Without an answer the menu bar names no organisation; an ended session (401) has
		// already been sent to login by the call itself.
	}
}
