/**
 * docs/alerts.yml is valid Prometheus rule syntax (`promtool check rules`), and a few of its
 * alerts fire on the series vmic exposes (`promtool test rules`), so that a renamed metric
 * cannot leave an alert that never fires.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promtool } from '../server/metrics-helpers.ts';

const rules = path.resolve(import.meta.dirname, '..', '..', 'docs', 'alerts.yml');

test('promtool check rules accepts docs/alerts.yml', () => {
  const r = promtool(['check', 'rules', rules]);
  assert.equal(r.status, 0, r.output);
  assert.match(r.output, /SUCCESS: 11 rules found/);
});

test('the alerts fire on the series vmic exposes', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-alerts-'));
  try {
    const file = path.join(dir, 'alerts.test.yml');
    fs.writeFileSync(
      file,
      JSON.stringify({
        rule_files: [rules],
        evaluation_interval: '1m',
        tests: [
          {
            interval: '1m',
            input_series: [
              {
                series: 'vmic_subscription_last_import_refused{subscription="fx",code="ROLLBACK"}',
                values: '1x20',
              },
              { series: 'vmic_catalog_expires_in_seconds{subscription="fx"}', values: '3600x30' },
              { series: 'vmic_cache_entries{state="quarantined"}', values: '0x5 2x10' },
              {
                series:
                  'vmic_http_requests_total{instance="a",status="500",route="/x",method="GET"}',
                values: '0+10x30',
              },
              {
                series:
                  'vmic_http_requests_total{instance="a",status="200",route="/x",method="GET"}',
                values: '0+10x30',
              },
            ],
            alert_rule_test: [
              {
                eval_time: '10m',
                alertname: 'VmicImportRefused',
                exp_alerts: [
                  {
                    exp_labels: { severity: 'warning', subscription: 'fx', code: 'ROLLBACK' },
                    exp_annotations: {
                      summary: 'Import of fx refused: ROLLBACK',
                      description:
                        'See `vmic subscription list` and the audit log (import.failed). A refusal such as SIGNATURE_INVALID, ROLLBACK or EQUIVOCATION can be an attack on the feed.',
                    },
                  },
                ],
              },
              {
                eval_time: '20m',
                alertname: 'VmicCatalogNearExpiry',
                exp_alerts: [
                  {
                    exp_labels: { severity: 'warning', subscription: 'fx' },
                    exp_annotations: {
                      summary: 'Catalog of fx expires in 1h 0m 0s',
                      description:
                        "No newer catalog has been verified. Check `vmic subscription list` and the endorser's feed; the gate refuses its images once the catalog expires.",
                    },
                  },
                ],
              },
              { eval_time: '20m', alertname: 'VmicCatalogExpired', exp_alerts: [] },
              { eval_time: '3m', alertname: 'VmicQuarantineNotEmpty', exp_alerts: [] },
              {
                eval_time: '15m',
                alertname: 'VmicQuarantineNotEmpty',
                exp_alerts: [
                  {
                    exp_labels: { severity: 'warning', state: 'quarantined' },
                    exp_annotations: {
                      summary: '2 image(s) in quarantine',
                      description:
                        'The mirror served other bytes than the endorser signed. Find them in the audit log (image.quarantined).',
                    },
                  },
                ],
              },
              {
                eval_time: '25m',
                alertname: 'VmicHigh5xxRate',
                exp_alerts: [
                  {
                    exp_labels: { severity: 'critical', instance: 'a' },
                    exp_annotations: {
                      summary: 'vmic at a answers 50% of requests with 5xx',
                      description:
                        'Every 500 is logged at level error with its request id (the X-Request-Id answer header).',
                    },
                  },
                ],
              },
            ],
          },
        ],
      }),
    );
    const r = promtool(['test', 'rules', file]);
    assert.equal(r.status, 0, r.output);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the certificate alerts: within 30 days a warning with the time left, past notAfter critical', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-alerts-'));
  const series = (identity: string, name: string, notAfter: number) => ({
    series: `vmic_certificate_expiry_timestamp_seconds{identity="${identity}",name="${name}"}`,
    values: `${notAfter}x150`,
  });
  try {
    const file = path.join(dir, 'alerts.test.yml');
    fs.writeFileSync(
      file,
      JSON.stringify({
        rule_files: [rules],
        evaluation_interval: '1m',
        tests: [
          {
            interval: '1m',
            // Evaluation time starts at the Unix epoch: notAfter is seconds from there.
            input_series: [
              series('endorser', 'cern', 12 * 86400),
              series('site', 'site', 40 * 86400),
              series('endorser', 'old', 1800),
            ],
            alert_rule_test: [
              {
                eval_time: '2h',
                alertname: 'VmicCertificateExpiresSoon',
                exp_alerts: [
                  {
                    exp_labels: { severity: 'warning', identity: 'endorser', name: 'cern' },
                    exp_annotations: {
                      summary: 'The endorser certificate of cern expires in 11d 22h 0m 0s',
                      description:
                        'Rotate it before it ends: `vmic endorser rotate NAME --cert NEW.pem --key NEW-KEY.pem` for an endorser, `vmic site identity set --cert NEW.pem --key NEW-KEY.pem` for the site. A new certificate from the same CA needs nothing from subscribers or peers.',
                    },
                  },
                ],
              },
              {
                eval_time: '2h',
                alertname: 'VmicCertificateExpired',
                exp_alerts: [
                  {
                    exp_labels: { severity: 'critical', identity: 'endorser', name: 'old' },
                    exp_annotations: {
                      summary: 'The endorser certificate of old has expired',
                      description:
                        'Sites refuse catalogs signed with an expired endorser certificate, and peers refuse migrations signed with an expired site certificate. Rotate it now.',
                    },
                  },
                ],
              },
            ],
          },
        ],
      }),
    );
    const r = promtool(['test', 'rules', file]);
    assert.equal(r.status, 0, r.output);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
