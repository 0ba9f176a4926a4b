// gotemp's own ArangoDB user, made on the database's first start: read-write on the gotemp
// database and nothing else, so gotemp never holds root's password. The entrypoint runs this
// with arangosh; ARANGO_APP_PASSWORD comes from the deployment's secrets.
const users = require('@arangodb/users');
const password = require('internal').env.ARANGO_APP_PASSWORD;
if (!password) {
  throw new Error('ARANGO_APP_PASSWORD is not set: run scripts/deploy-secrets');
}
if (!db._databases().includes('gotemp')) {
  db._createDatabase('gotemp');
}
if (!users.exists('gotemp')) {
  users.save('gotemp', password);
}
users.grantDatabase('gotemp', 'gotemp', 'rw');
users.grantCollection('gotemp', 'gotemp', '*', 'rw');
