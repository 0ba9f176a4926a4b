// Everything renders in the browser: the app is static files over gotemp's HTTP API.
export const ssr = false;
export const prerender = false;
