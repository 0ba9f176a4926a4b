// The resources with list, record and create pages; anything else falls through to 404.
export const match = (param) => ['users', 'customers', 'products', 'promotions'].includes(param);
