// form-data (pulled in by axios, inside @sendgrid/client) looks up MIME types only for multipart
// file uploads, which this service never sends. Its 130 KB table would be the largest part of
// every bundle, so bundles get this empty table instead.
module.exports = {};
