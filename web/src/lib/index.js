import { users, customers, products, promotions } from './entities.js';

/** The entity definitions by the resource name in the URL. */
export const entities = { users, customers, products, promotions };
