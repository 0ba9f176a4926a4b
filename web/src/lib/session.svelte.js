// The signed-in person's token, kept per browser tab: sessionStorage survives a reload but not
// closing the tab, and never reaches other sites. The token is the only credential the app holds.

const KEY = 'gotemp.session';

function restore() {
	if (typeof sessionStorage === 'undefined') return null;
	try {
		const saved = JSON.parse(sessionStorage.getItem(KEY) ?? 'null');
		if (saved && new Date(saved.expires_at) > new Date()) return saved;
	} catch {
		// A damaged entry is treated as no session.
	}
	sessionStorage.removeItem(KEY);
	return null;
}

/**
 * `current`: `{ token, expires_at, user }` while signed in, else null. `ended`: why the last
 * session ended (`'out'` by logging out, `'password'` after a password change, `'expired'` when
 * the API refused the token), so the login page can say so.
 */
export const session = $state({ current: restore(), ended: null });

/** Keeps the login answer (token, expiry, user) for this tab. */
export function signIn(answer) {
	session.current = { token: answer.token, expires_at: answer.expires_at, user: answer.user };
	session.ended = null;
	sessionStorage.setItem(KEY, JSON.stringify(session.current));
}

/** Forgets the token in this tab (logging out also asks the server to end it: the layout). */
export function signOut(reason = 'out') {
	session.current = null;
	session.ended = reason;
	sessionStorage.removeItem(KEY);
}
