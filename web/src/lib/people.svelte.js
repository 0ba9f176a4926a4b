// Names of users by id, fetched on first use. An id that cannot be read (deleted user, no
// permission) keeps showing as the bare id.

import { get } from './api.js';
import { t } from './i18n/index.js';

const names = new Map();

/** A reactive `{ value }` that fills in with the user's name once it is known. */
export function userName(id) {
	if (id === undefined || id === null || id === 0) return { value: id === 0 ? t('people.system') : '' };
	const known = names.get(id);
	if (known) return known;
	const entry = $state({ value: '' });
	names.set(id, entry);
	get(`/v1/users/${id}`).then(
		(u) => (entry.value = u.name),
		() => {}
	);
	return entry;
}
