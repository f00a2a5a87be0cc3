<?php
/*
 * Test users (user:password). eduPersonEntitlement carries the values that vmic's
 * roleMapping turns into roles; nobody1 has only a value that maps to nothing.
 */
$config = [
    'admin' => ['core:AdminPassword'],
    'test-userpass' => [
        'exampleauth:UserPass',
        'endorser1:endorser1-pass' => [
            'uid' => ['endorser1'],
            'mail' => ['endorser1@example.org'],
            'displayName' => ['Erin Endorser'],
            'eduPersonEntitlement' => ['urn:example:vmic:endorser:demo-rsa', 'urn:example:wiki:editor'],
        ],
        'approver1:approver1-pass' => [
            'uid' => ['approver1'],
            'mail' => ['approver1@example.org'],
            'displayName' => ['Arno Approver'],
            'eduPersonEntitlement' => ['urn:example:vmic:site-approver'],
        ],
        'auditor1:auditor1-pass' => [
            'uid' => ['auditor1'],
            'mail' => ['auditor1@example.org'],
            'displayName' => ['Aude Auditor'],
            'eduPersonEntitlement' => ['urn:example:vmic:auditor'],
        ],
        'admin1:admin1-pass' => [
            'uid' => ['admin1'],
            'mail' => ['admin1@example.org'],
            'displayName' => ['Ada Admin'],
            'eduPersonEntitlement' => ['urn:example:vmic:admin'],
        ],
        'nobody1:nobody1-pass' => [
            'uid' => ['nobody1'],
            'mail' => ['nobody1@example.org'],
            'displayName' => ['Nora Nobody'],
            'eduPersonEntitlement' => ['urn:example:wiki:reader'],
        ],
    ],
];
