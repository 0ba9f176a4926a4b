// What differs between users, customers, products and promotions in the UI: their search
// filters, list columns, and how a form maps to and from the API's JSON. Pages and components
// stay generic over these.

import { day, fromLocalInput, toLocalInput } from './format.js';

const validOn = { name: 'valid_on', label: 'Valid on', type: 'datetime-local', hint: 'Only records valid at this moment' };
const period = [
	{ key: 'valid_from', label: 'Valid from', value: (r) => day(r.valid_from) },
	{ key: 'valid_thru', label: 'Valid thru', value: (r) => day(r.valid_thru) }
];
const yesNo = (b) => (b ? 'Yes' : 'No');

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
	errors.extra_fields = 'extra_fields must be a JSON object, such as {"external_id": "12345"}';
	return undefined;
}

export const users = {
	noun: 'user',
	resource: 'users',
	objectName: 'user',
	filters: [
		{ name: 'id', label: 'Id' },
		{ name: 'first_name', label: 'First name' },
		{ name: 'last_name', label: 'Last name' },
		{ name: 'email', label: 'E-mail' },
		{ name: 'company', label: 'Company' },
		validOn
	],
	columns: [
		{ key: 'id', label: 'Id' },
		{ key: 'name', label: 'Name' },
		{ key: 'email', label: 'E-mail' },
		{ key: 'company', label: 'Company' },
		{ key: 'active', label: 'Active', value: (r) => yesNo(r.active) },
		{ key: 'roles', label: 'Roles', value: (r) => (r.roles ?? []).join(', ') },
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
		return { body };
	}
};

function masterData(noun, resource, extraFilters, extraColumns, extraForm) {
	return {
		noun,
		resource,
		objectName: noun,
		filters: [{ name: 'id', label: 'Key' }, { name: 'name', label: 'Name' }, ...extraFilters, validOn],
		columns: [{ key: 'id', label: 'Key' }, { key: 'name', label: 'Name' }, ...extraColumns, ...period],
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
	[{ name: 'hierarchy_level', label: 'Hierarchy level', hint: 'sku, cat, …' }],
	[{ key: 'hierarchy_level', label: 'Level' }],
	(r) => ({ hierarchy_level: r?.hierarchy_level ?? '' })
);

/** Discount type codes the demo data uses; other codes are kept and shown by number. */
export const discountKinds = [
	{ value: 1, label: 'percent' },
	{ value: 2, label: 'amount' }
];

export const promotions = {
	noun: 'promotion',
	resource: 'promotions',
	objectName: 'promotion',
	filters: [
		{ name: 'id', label: 'Id' },
		{ name: 'name', label: 'Name' },
		{ name: 'customer_id', label: 'Customer key' },
		{ name: 'product_id', label: 'Product key' },
		validOn
	],
	columns: [
		{ key: 'id', label: 'Id' },
		{ key: 'name', label: 'Name' },
		{ key: 'customer_name', label: 'Customer', value: (r) => r.customer_name ?? r.customer_id },
		{ key: 'products', label: 'Products', value: (r) => r.products.map((p) => p.product_id).join(', ') },
		{ key: 'active', label: 'Active', value: (r) => yesNo(r.active) },
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
		if (!Number.isInteger(status)) errors.approval_status = 'approval_status must be a whole number';
		const products = f.products.map((line, i) => ({
			product_id: trimmed(line.product_id),
			upc_code: trimmed(line.upc_code) || undefined,
			discounts: line.discounts.map((d, j) => {
				const value = Number(d.value);
				if (d.value === '' || d.value === null || Number.isNaN(value)) {
					errors[`products[${i}].discounts[${j}].value`] = `products[${i}].discounts[${j}].value must be a number`;
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
