<?php
$port = getenv('SAML_IDP_PORT') ?: '8080';
$metadata["http://127.0.0.1:$port/saml2/idp/metadata.php"] = [
    'host' => '__DEFAULT__',
    'privatekey' => 'idp.key',
    'certificate' => 'idp.crt',
    'auth' => 'test-userpass',
    // Both the Response and the Assertion are signed (the defaults, stated here because vmic requires both).
    'saml20.sign.response' => true,
    'saml20.sign.assertion' => true,
    'signature.algorithm' => 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
];
