// Shared display and conversion helpers: the API speaks UTC RFC 3339, people read local time.

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const toTheSecond = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

export const when = (iso) => (iso ? dateTime.format(new Date(iso)) : '');
export const day = (iso) => (iso ? dateOnly.format(new Date(iso)) : '');
/** For the audit trail, where many changes share a minute. */
export const instant = (iso) => (iso ? toTheSecond.format(new Date(iso)) : '');

/** An API timestamp as the value of a `datetime-local` input (local time, minutes). */
export function toLocalInput(iso) {
	if (!iso) return '';
	const d = new Date(iso);
	const pad = (n) => String(n).padStart(2, '0');
	return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A `datetime-local` value as an API timestamp; empty stays absent. */
export function fromLocalInput(value) {
	if (!value) return undefined;
	const d = new Date(value);
	return Number.isNaN(d.getTime()) ? value : d.toISOString();
}
