<?php
/*
 * SimpleSAMLphp 1.19 (Debian bookworm) as a test IdP on loopback, run with
 *   SIMPLESAMLPHP_CONFIG_DIR=<this dir> SAML_IDP_PORT=<port> php -S 127.0.0.1:<port> -t /usr/share/simplesamlphp/www
 * Everything it writes stays beside this directory; nothing under /etc is used.
 * See shared/notes/saml-idp.md for why each key is set.
 */
$base = dirname(__DIR__);
$port = getenv('SAML_IDP_PORT') ?: '8080';
$config = [
    // Absolute: every generated URL and the IdP entityID come from it, so it must match the port.
    'baseurlpath' => "http://127.0.0.1:$port/",
    'certdir' => "$base/cert/",
    'metadatadir' => "$base/metadata/",
    'metadata.sources' => [['type' => 'flatfile']],
    'datadir' => "$base/data/",
    'tempdir' => "$base/tmp/",
    'loggingdir' => "$base/log/",
    'logging.handler' => 'file',
    'logging.logfile' => 'simplesamlphp.log',
    'logging.level' => SimpleSAML\Logger::INFO,
    'secretsalt' => 'vmic-test-idp-not-a-secret',
    'auth.adminpassword' => 'vmic-test-admin',
    'admin.protectindexpage' => true,
    'technicalcontact_name' => 'vmic tests',
    'technicalcontact_email' => 'test@example.org',
    'timezone' => 'UTC',
    'enable.saml20-idp' => true,
    'module.enable' => ['exampleauth' => true, 'core' => true, 'saml' => true],
    'store.type' => 'phpsession',
    'session.phpsession.savepath' => "$base/sessions",
    // Plain http on loopback: a Secure or SameSite=None cookie would break the IdP.
    'session.cookie.secure' => false,
    'session.cookie.samesite' => null,
];
