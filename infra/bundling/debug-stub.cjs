// `debug` (pulled in by axios's proxy agent inside @sendgrid/client) prints request details when
// the DEBUG variable names a namespace. A function's logs must never carry those, and we never turn
// it on, so bundles get loggers that print nothing: 10 KB less to load (debug, ms, supports-color).
function createDebug() {
  const log = () => undefined;
  log.enabled = false;
  log.extend = createDebug;
  return log;
}
createDebug.enable = () => undefined;
createDebug.disable = () => '';
createDebug.enabled = () => false;
module.exports = createDebug;
module.exports.default = createDebug;
