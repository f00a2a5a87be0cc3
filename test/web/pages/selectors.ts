/*
 * data-testid selectors of the web admin pages (views/*.njk), for these tests and for the
 * end-to-end SAML test. Use them as `page.locator(sel.UPLOAD_SHA256)`.
 *
 * Layout (every page):   header, nav, user, roles, sign-out, page-title
 * Errors:                error (status/code/message: error-status, error-code, error-message)
 * Home /admin:           home-links, home-endorser-NAME, home-site-images,
 *                        home-site-subscriptions, home-site-trust, home-audit
 * Endorser /endorsers/NAME:
 *   images table         endorser-images > image-row[data-identifier] > image-title, image-status
 *   upload form          upload-form: up-title, up-osFamily, up-osName, up-osVersion, up-version,
 *                        up-arch, up-format, up-hypervisor, up-description, up-identifier,
 *                        upload-file, upload-submit; after submit upload-status with
 *                        upload-progress (<progress max=100>), upload-percent ("100%"),
 *                        upload-sha256, upload-result-link; upload-error on refusal
 *   register by URL      register-form: reg-* metadata fields, reg-url, reg-sha256, reg-size,
 *                        reg-identifier, register-submit
 *   publish              publish-link (to the preview), published-notice after publishing
 *   history              catalog-history > version-row[data-sequence] > feed-file links
 * Image /endorsers/NAME/images/ID: image-status, image-sha256, edit-form (edit-* fields,
 *                        edit-submit), withdraw-form, withdraw-submit, saved-notice
 * Publish /endorsers/NAME/publish: publish-preview, next-sequence, preview-added,
 *                        preview-changed, preview-withdrawn (li[data-identifier]),
 *                        preview-unchanged, publish-form, publish-expiry, publish-submit
 * Pending /endorsers/NAME/pending: pending-catalog, pending-sequence, pending-threshold,
 *                        pending-signed / pending-not-yet > li[data-signer], pending-diff
 *                        (the preview-* lists), pending-nquads, pending-openssl, sign-as
 *                        [data-signer] with sign-form, sign-submit, signature-form,
 *                        signature-file, signature-submit; sign-none; pending-none;
 *                        on the endorser page pending-notice-link, pending-link
 * Trust /site/trust:     trust-certificates > trust-certificate, trust-crls > trust-crl
 *                        (crl-warning, crl-stale), trust-form, trust-pem, trust-submit, trust-added
 * Subscriptions /site/subscriptions: subscriptions > subscription-row[data-name] with
 *                        subscription-enabled, subscription-result, subscription-sequence,
 *                        subscription-error, import-now, toggle-subscription,
 *                        approve-endorser / unapprove-endorser, endorser-approved;
 *                        subscription-log (subscription-log-policy, subscription-log-key,
 *                        subscription-witness-quorum, subscription-witnesses,
 *                        subscription-forks with subscription-fork-count,
 *                        subscription-fork-message, subscription-fork-notes > fork-held,
 *                        fork-served);
 *                        subscribe-form: subscribe-url, subscribe-subject, subscribe-issuer,
 *                        subscribe-name, subscribe-log, subscribe-log-key,
 *                        subscribe-witnesses, subscribe-witness-quorum, subscribe-submit;
 *                        import-notice (import-log-warning)
 * Images /site/images:   fetch-now, fetch-notice, site-images >
 *                        site-image-row[data-identifier][data-subscription] with
 *                        site-image-title, badge-endorsed, badge-approved, badge-fetched,
 *                        badge-deployable, reasons > li[data-code], gate-link,
 *                        approve-image / unapprove-image
 * Gate /site/gate/IMAGE: gate-decision, gate-verdict, gate-reasons > li[data-code]
 * Audit /audit:          audit-verdict (audit-chain-ok | audit-chain-broken, audit-log-ok, audit-checkpoint), audit-filter
 *                        (audit-action, audit-actor, audit-subject, audit-from, audit-to,
 *                        audit-apply), audit-count, audit-entries > audit-entry[data-seq],
 *                        audit-prev, audit-next
 */

const t = (id: string) => `[data-testid="${id}"]`;

export const HEADER = t('header');
export const NAV = t('nav');
export const USER = t('user');
export const ROLES = t('roles');
export const SIGN_OUT = t('sign-out');
export const PAGE_TITLE = t('page-title');
export const ERROR = t('error');
export const ERROR_STATUS = t('error-status');
export const ERROR_CODE = t('error-code');
export const ERROR_MESSAGE = t('error-message');

export const ENDORSER_IMAGES = t('endorser-images');
export const IMAGE_ROW = t('image-row');
export const imageRow = (identifier: string) => `${IMAGE_ROW}[data-identifier="${identifier}"]`;
export const IMAGE_TITLE = t('image-title');
export const IMAGE_STATUS = t('image-status');
export const IMAGE_SHA256 = t('image-sha256');
export const UPLOAD_FORM = t('upload-form');
export const UPLOAD_TITLE = t('up-title');
export const UPLOAD_FILE = t('upload-file');
export const UPLOAD_SUBMIT = t('upload-submit');
export const UPLOAD_PROGRESS = t('upload-progress');
export const UPLOAD_PERCENT = t('upload-percent');
export const UPLOAD_SHA256 = t('upload-sha256');
export const UPLOAD_ERROR = t('upload-error');
export const UPLOAD_RESULT_LINK = t('upload-result-link');
export const REGISTER_FORM = t('register-form');
export const REGISTER_TITLE = t('reg-title');
export const REGISTER_URL = t('reg-url');
export const REGISTER_SHA256 = t('reg-sha256');
export const REGISTER_SIZE = t('reg-size');
export const REGISTER_SUBMIT = t('register-submit');
export const EDIT_FORM = t('edit-form');
export const EDIT_SUBMIT = t('edit-submit');
export const WITHDRAW_SUBMIT = t('withdraw-submit');
export const SAVED_NOTICE = t('saved-notice');
export const PUBLISH_LINK = t('publish-link');
export const PUBLISH_PREVIEW = t('publish-preview');
export const NEXT_SEQUENCE = t('next-sequence');
export const PREVIEW_ADDED = t('preview-added');
export const PREVIEW_CHANGED = t('preview-changed');
export const PREVIEW_WITHDRAWN = t('preview-withdrawn');
export const PUBLISH_EXPIRY = t('publish-expiry');
export const PUBLISH_SUBMIT = t('publish-submit');
export const PUBLISHED_NOTICE = t('published-notice');
export const CATALOG_HISTORY = t('catalog-history');
export const VERSION_ROW = t('version-row');
export const versionRow = (sequence: number) => `${VERSION_ROW}[data-sequence="${sequence}"]`;
export const FEED_FILE = t('feed-file');

export const TRUST_CERTIFICATE = t('trust-certificate');
export const TRUST_CRL = t('trust-crl');
export const CRL_WARNING = t('crl-warning');
export const TRUST_PEM = t('trust-pem');
export const TRUST_SUBMIT = t('trust-submit');
export const TRUST_ADDED = t('trust-added');
export const SUBSCRIPTION_ROW = t('subscription-row');
export const subscriptionRow = (name: string) => `${SUBSCRIPTION_ROW}[data-name="${name}"]`;
export const SUBSCRIPTION_SEQUENCE = t('subscription-sequence');
export const SUBSCRIPTION_ERROR = t('subscription-error');
export const IMPORT_NOW = t('import-now');
export const IMPORT_NOTICE = t('import-notice');
export const SUBSCRIBE_URL = t('subscribe-url');
export const SUBSCRIBE_SUBJECT = t('subscribe-subject');
export const SUBSCRIBE_ISSUER = t('subscribe-issuer');
export const SUBSCRIBE_LOG = t('subscribe-log');
export const SUBSCRIBE_LOG_KEY = t('subscribe-log-key');
export const SUBSCRIBE_WITNESSES = t('subscribe-witnesses');
export const SUBSCRIBE_WITNESS_QUORUM = t('subscribe-witness-quorum');
export const SUBSCRIBE_SUBMIT = t('subscribe-submit');
export const SUBSCRIPTION_LOG = t('subscription-log');
export const SUBSCRIPTION_LOG_POLICY = t('subscription-log-policy');
export const SUBSCRIPTION_LOG_KEY = t('subscription-log-key');
export const SUBSCRIPTION_WITNESS_QUORUM = t('subscription-witness-quorum');
export const SUBSCRIPTION_WITNESSES = t('subscription-witnesses');
export const SUBSCRIPTION_FORKS = t('subscription-forks');
export const SUBSCRIPTION_FORK_COUNT = t('subscription-fork-count');
export const SUBSCRIPTION_FORK_MESSAGE = t('subscription-fork-message');
export const SUBSCRIPTION_FORK_NOTES = t('subscription-fork-notes');
export const FORK_HELD = t('fork-held');
export const FORK_SERVED = t('fork-served');
export const APPROVE_ENDORSER = t('approve-endorser');
export const FETCH_NOW = t('fetch-now');
export const FETCH_NOTICE = t('fetch-notice');
export const SITE_IMAGE_ROW = t('site-image-row');
export const siteImageRow = (identifier: string) =>
  `${SITE_IMAGE_ROW}[data-identifier="${identifier}"]`;
export const BADGE_ENDORSED = t('badge-endorsed');
export const BADGE_APPROVED = t('badge-approved');
export const BADGE_FETCHED = t('badge-fetched');
export const BADGE_DEPLOYABLE = t('badge-deployable');
export const REASONS = t('reasons');
export const APPROVE_IMAGE = t('approve-image');
export const UNAPPROVE_IMAGE = t('unapprove-image');
export const GATE_LINK = t('gate-link');
export const GATE_VERDICT = t('gate-verdict');
export const GATE_REASONS = t('gate-reasons');

export const AUDIT_CHAIN_OK = t('audit-chain-ok');
export const AUDIT_CHAIN_BROKEN = t('audit-chain-broken');
export const AUDIT_LOG_OK = t('audit-log-ok');
export const AUDIT_CHECKPOINT = t('audit-checkpoint');
export const AUDIT_ACTION = t('audit-action');
export const AUDIT_ACTOR = t('audit-actor');
export const AUDIT_APPLY = t('audit-apply');
export const AUDIT_COUNT = t('audit-count');
export const AUDIT_ENTRY = t('audit-entry');

/** The demo-mode local sign-in form of the sign-in layer (server/web/templates/login.njk). */
export const DEV_NAME = t('dev-name');
export const DEV_ROLE = t('dev-role');
export const DEV_SUBMIT = t('dev-submit');

export const PENDING_NOTICE_LINK = t('pending-notice-link');
export const PENDING_LINK = t('pending-link');
export const PENDING_SEQUENCE = t('pending-sequence');
export const PENDING_THRESHOLD = t('pending-threshold');
export const PENDING_SIGNED = t('pending-signed');
export const PENDING_NOT_YET = t('pending-not-yet');
export const PENDING_OPENSSL = t('pending-openssl');
export const SIGN_SUBMIT = t('sign-submit');
export const SIGN_NONE = t('sign-none');
export const SIGNATURE_FILE = t('signature-file');
export const SIGNATURE_SUBMIT = t('signature-submit');
