// What the signed-in user may do, from their roles, so the interface offers only what the server
// would allow. The server decides every call (a 403 is still possible when a deployment plugs in
// its own policy); this mirrors the built-in table of docs/services.md.

import { t } from './i18n/index.js';

const master = ['customers', 'products', 'promotions'];

/**
 * Whether `user` may `action` (`read`, `create`, `update`, `delete`, `manage`, `approve`) on
 * `resource` (`users`, `customers`, `products`, `promotions`, `audit`, `tenants`) — other records
 * than their own.
 */
export function can(user, action, resource) {
	const roles = new Set(user?.roles ?? []);
	// A multi-tenant deployment's tenants are its operators' alone (only users of the platform
	// tenant hold the role), administrators of a tenant included.
	if (resource === 'tenants') return roles.has('operator');
	if (roles.has('admin')) return true;
	if (resource === 'promotions' && roles.has('approver') && ['read', 'approve'].includes(action)) return true;
	if (resource === 'users' || resource === 'audit') return action === 'read' && roles.has('auditor');
	if (!master.includes(resource)) return false;
	if (action === 'read') return roles.has('viewer') || roles.has('editor') || roles.has('auditor');
	return ['create', 'update', 'delete'].includes(action) && roles.has('editor');
}

/** The role names, in the order the interface lists them, with what each allows. */
export const ROLES = ['admin', 'editor', 'viewer', 'auditor', 'approver'].map((role) => [role, t(`role.${role}`)]);

/** `operator`, which only users of a multi-tenant deployment's platform tenant can hold. */
export const OPERATOR = ['operator', t('role.operator')];
