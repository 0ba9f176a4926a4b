// The languages of the interface: English (the default, and the fallback for a missing message)
// and Spanish, one catalogue each (en.json, es.json; svelte-i18n formats them). The choice is kept
// per browser; until someone chooses, the browser's own language decides. The API is asked for
// the same language, so its error messages match the page.
//
// Switching reloads the page: every label — those in module-level definitions too — is then
// made in the new language, with nothing left over from the old one.

import { addMessages, getLocaleFromNavigator, init, locale, _ } from 'svelte-i18n';
import { get } from 'svelte/store';
import en from './en.json';
import es from './es.json';

const KEY = 'gotemp.language';

/** Every language offered, by its own name. */
export const LANGUAGES = [
	['en', 'English'],
	['es', 'Español']
];
const codes = LANGUAGES.map(([code]) => code);

addMessages('en', en);
addMessages('es', es);

function chosen() {
	if (typeof localStorage === 'undefined') return 'en';
	const saved = localStorage.getItem(KEY);
	if (codes.includes(saved)) return saved;
	const browser = getLocaleFromNavigator()?.split('-')[0];
	return codes.includes(browser) ? browser : 'en';
}

init({ fallbackLocale: 'en', initialLocale: chosen() });
if (typeof document !== 'undefined') document.documentElement.lang = get(locale);

/** The language in force (`en`, `es`). */
export const language = () => get(locale) ?? 'en';

/** The message `key` in the language in force, `{name}` replaced from `values`. */
export const t = (key, values = undefined) => get(_)(key, values ? { values } : undefined);

/** Remembers `code` for this browser and shows the page again in it. */
export function setLanguage(code) {
	if (!codes.includes(code) || code === language()) return;
	localStorage.setItem(KEY, code);
	location.reload();
}
