// What differs between users, customers, products and promotions in the UI: their search
// filters, list columns, and how a form maps to and from the API's JSON. Pages and components
// stay generic over these.

import { day, fromLocalInput, toLocalInput } from './format.js';
import { t } from './i18n/index.js';

const validOn = { name: 'valid_on', label: t('field.valid_on'), type: 'datetime-local', hint: t('hint.valid_on') };
const period = [
	{ key: 'valid_from', label: t('field.valid_from'), value: (r) => day(r.valid_from) },
	{ key: 'valid_thru', label: t('field.valid_thru'), value: (r) => day(r.valid_thru) }
];
const yesNo = (b) => (b ? t('common.yes') : t('common.no'));

/** A year from now, the period a new record gets unless the person chooses another. */
function defaultPeriod() {
	const from = new Date();
	const thru = new Date(from);
	thru.setFullYear(thru.getFullYear() + 1);
	return { valid_from: toLocalInput(from.toISOString()), valid_thru: toLocalInput(thru.toISOString()) };
}

const trimmed = (s) => (typeof s === 'string' ? s.trim() : s);

/** `extra_fields` typed as JSON; a mistake is reported on the field before anything is sent. */
function parseExtra(text, errors) {
	if (!text || !text.trim()) return {};
	try {
		const value = JSON.parse(text);
		if (value && typeof value === 'object' && !Array.isArray(value)) return value;
	} catch {
		// reported below
	}
	errors.extra_fields = t('check.extra_fields');
	return undefined;
}

export const users = {
	noun: 'user',
	resource: 'users',
	objectName: 'user',
	filters: [
		{ name: 'id', label: t('field.id') },
		{ name: 'first_name', label: t('field.first_name') },
		{ name: 'last_name', label: t('field.last_name') },
		{ name: 'email', label: t('field.email') },
		{ name: 'company', label: t('field.company') },
		validOn
	],
	columns: [
		{ key: 'id', label: t('field.id') },
		{ key: 'name', label: t('field.name') },
		{ key: 'email', label: t('field.email') },
		{ key: 'company', label: t('field.company') },
		{ key: 'active', label: t('field.active'), value: (r) => yesNo(r.active) },
		{ key: 'roles', label: t('field.roles'), value: (r) => (r.roles ?? []).join(', ') },
		...period
	],
	heading: (u) => u.name,
	// A new user is inactive until someone activates them, as the user service itself says.
	empty: () => ({ first_name: '', last_name: '', email: '', company: '', active: false, roles: ['viewer'], password: '', ...defaultPeriod() }),
	toForm: (u) => ({
		first_name: u.first_name,
		last_name: u.last_name,
		email: u.email,
		company: u.company ?? '',
		active: u.active,
		roles: [...(u.roles ?? [])],
		password: '',
		current_password: '',
		valid_from: toLocalInput(u.valid_from),
		valid_thru: toLocalInput(u.valid_thru)
	}),
	toBody(f, record) {
		const body = {
			first_name: trimmed(f.first_name),
			last_name: trimmed(f.last_name),
			email: trimmed(f.email),
			company: trimmed(f.company) || (record ? '' : undefined),
			active: f.active,
			roles: f.roles,
			valid_from: fromLocalInput(f.valid_from),
			valid_thru: fromLocalInput(f.valid_thru)
		};
		// An empty password on an edit keeps the current one.
		if (f.password || !record) body.password = f.password;
		if (f.current_password) body.current_password = f.current_password;
		return { body };
	}
};

function masterData(noun, resource, extraFilters, extraColumns, extraForm) {
	return {
		noun,
		resource,
		objectName: noun,
		filters: [{ name: 'id', label: t('field.key') }, { name: 'name', label: t('field.name') }, ...extraFilters, validOn],
		columns: [{ key: 'id', label: t('field.key') }, { key: 'name', label: t('field.name') }, ...extraColumns, ...period],
		heading: (r) => r.name,
		empty: () => ({ id: '', name: '', extra_fields: '{}', ...extraForm(null), ...defaultPeriod() }),
		toForm: (r) => ({
			id: r.id,
			name: r.name,
			extra_fields: JSON.stringify(r.extra_fields ?? {}, null, 2),
			valid_from: toLocalInput(r.valid_from),
			valid_thru: toLocalInput(r.valid_thru),
			...extraForm(r)
		}),
		toBody(f, record) {
			const errors = {};
			const body = {
				name: trimmed(f.name),
				valid_from: fromLocalInput(f.valid_from),
				valid_thru: fromLocalInput(f.valid_thru),
				extra_fields: parseExtra(f.extra_fields, errors)
			};
			if (!record && trimmed(f.id)) body.id = trimmed(f.id);
			// Required: sent even when empty, so the server names the field.
			if ('hierarchy_level' in f) body.hierarchy_level = trimmed(f.hierarchy_level);
			return { body, errors };
		}
	};
}

export const customers = masterData('customer', 'customers', [], [], () => ({}));

export const products = masterData(
	'product',
	'products',
	[{ name: 'hierarchy_level', label: t('field.hierarchy_level'), hint: 'sku, cat, …' }],
	[{ key: 'hierarchy_level', label: t('field.level') }],
	(r) => ({ hierarchy_level: r?.hierarchy_level ?? '' })
);

/** Discount type codes the demo data uses; other codes are kept and shown by number. */
export const discountKinds = [
	{ value: 1, label: t('discount.percent') },
	{ value: 2, label: t('discount.amount') }
];

export const promotions = {
	noun: 'promotion',
	resource: 'promotions',
	objectName: 'promotion',
	filters: [
		{ name: 'id', label: t('field.id') },
		{ name: 'name', label: t('field.name') },
		{ name: 'customer_id', label: t('field.customer_key') },
		{ name: 'product_id', label: t('field.product_key') },
		validOn
	],
	columns: [
		{ key: 'id', label: t('field.id') },
		{ key: 'name', label: t('field.name') },
		{ key: 'customer_name', label: t('field.customer'), value: (r) => r.customer_name ?? r.customer_id },
		{ key: 'products', label: t('nav.products'), value: (r) => r.products.map((p) => p.product_id).join(', ') },
		{ key: 'active', label: t('field.active'), value: (r) => yesNo(r.active) },
		...period
	],
	heading: (p) => p.name,
	empty: () => ({
		name: '',
		description: '',
		customer_id: '',
		active: false,
		approval_status: 0,
		products: [],
		...defaultPeriod()
	}),
	toForm: (p) => ({
		name: p.name,
		description: p.description ?? '',
		customer_id: p.customer_id,
		active: p.active,
		approval_status: p.approval_status,
		products: p.products.map((line) => ({
			product_id: line.product_id,
			upc_code: line.upc_code ?? '',
			discounts: line.discounts.map((d) => ({ ...d, description: d.description ?? '' }))
		})),
		valid_from: toLocalInput(p.valid_from),
		valid_thru: toLocalInput(p.valid_thru)
	}),
	toBody(f) {
		const errors = {};
		const status = Number(f.approval_status);
		if (!Number.isInteger(status)) errors.approval_status = t('check.whole_number', { field: 'approval_status' });
		const products = f.products.map((line, i) => ({
			product_id: trimmed(line.product_id),
			upc_code: trimmed(line.upc_code) || undefined,
			discounts: line.discounts.map((d, j) => {
				const value = Number(d.value);
				if (d.value === '' || d.value === null || Number.isNaN(value)) {
					const field = `products[${i}].discounts[${j}].value`;
					errors[field] = t('check.number', { field });
				}
				return { id: d.id ?? 0, value, kind: Number(d.kind), description: trimmed(d.description) || undefined };
			})
		}));
		const body = {
			name: trimmed(f.name),
			description: trimmed(f.description),
			customer_id: trimmed(f.customer_id),
			active: f.active,
			approval_status: status,
			valid_from: fromLocalInput(f.valid_from),
			valid_thru: fromLocalInput(f.valid_thru),
			products
		};
		return { body, errors };
	}
};
