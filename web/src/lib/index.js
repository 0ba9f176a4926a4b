import { users, customers, products, promotions } from './entities.js';

/** The entity definitions by the resource name in the URL. */
export const entities = { users, customers, products, promotions };

/** The page listing the records an audit object name stands for (`customer` → `/customers`). */
export const objectPages = Object.fromEntries(Object.values(entities).map((e) => [e.objectName, `/${e.resource}`]));
