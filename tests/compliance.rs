//! Regulatory profiles, rule by rule: every rule has a failing example in `FAILS` (a test
//! enumerates the rules of the loaded profiles and fails when one has none), and the base
//! environment, which meets every rule of every profile, is the passing example; rules that
//! only apply under a condition also have a passing example where the condition is false.
//!
//! Each case layers a small edit (an environment file) over the base (`common.yaml`) and runs
//! the whole validation pipeline in-process. Dates are relative to `crate::velero::dates::today()`
//! (`@ago(N)` is N days ago), so the cases hold on any day and under `CK8S_GEN_TODAY`.

use crate::support;

use ck8s_gen::assets::Assets;
use ck8s_gen::compliance::Status;
use ck8s_gen::compliance::catalog::Catalog;
use ck8s_gen::diagnostic::{Diagnostic, Severity};
use ck8s_gen::validate::{self, Outcome, Request};
use std::collections::BTreeSet;
use std::path::Path;

const ALL: &[&str] = &[
    "bsi-app.4.4.a5",
    "dora-art-12",
    "gdpr-art-17",
    "hipaa-164.308-a7",
    "hslf-fs-2016-40",
    "iso-27001-a.12.3.1",
    "msbfs-2020-7",
    "nis2-art-21",
];
const ISO: &[&str] = &["iso-27001-a.12.3.1"];
const BSI: &[&str] = &["bsi-app.4.4.a5"];
const HIPAA: &[&str] = &["hipaa-164.308-a7"];
const MSBFS: &[&str] = &["msbfs-2020-7"];
const HSLF: &[&str] = &["hslf-fs-2016-40"];
const GDPR: &[&str] = &["gdpr-art-17"];
const NIS2: &[&str] = &["nis2-art-21"];
const DORA: &[&str] = &["dora-art-12"];

/// Meets every rule of every profile (high protection and availability need, a CSD under DORA).
const BASE: &str = r#"apiVersion: ck8s-gen/v1
kind: Defaults
cluster:
  role: management
  provider: safespring
  region: sto1
  site: sto1-a
  jurisdiction: SE
  protectionNeed: high
  availabilityNeed: high
  doraEntity: csd
backup:
  schedule: "0 0 * * *"
  retention:
    ttl: 720h
    minDays: 30
    maxDays: 30
    decidedBy: Chief Medical Information Officer
    decidedAt: 2026-03-01
    decisionRef: https://docs.example.org/decisions/2026-03-01-backup-retention
    justification: Risk analysis RA-2026-04, restore-only backups
    restoreOnly: true
  rpoHours: 24
  rtoHours: 8
  maxIntervalHours: 24
  scope:
    etcd: snapshot
    etcdBackupRef: https://docs.example.org/runbooks/etcd-snapshots
    platformConfig: true
    registry: true
    infrastructureApps: true
  dashboards: {grafana: true, opensearch: true}
storage:
  provider: s3
  bucket: base-velero
  region: sto1
  endpoint: https://s3.sto1.safedc.net
  forcePathStyle: true
  site: sto1-a
  jurisdiction: SE
  contractInPlace: {ref: DPA-2026-007, date: 2026-01-15, by: Head of Procurement}
  credentials: {secretName: velero-credentials, key: cloud}
  encryption: {atRest: provider-managed}
replication:
  offsite:
    enabled: true
    destination:
      provider: s3
      endpoint: https://s3.sto2.safedc.net
      region: sto2
      site: sto2-a
      jurisdiction: SE
      bucket: base-velero-offsite
      forcePathStyle: true
      credentials: {secretName: rclone-offsite-credentials}
    schedule: "0 5 * * *"
    encrypt: {enabled: true, fileNames: true, directoryNames: true, secretName: rclone-crypt}
    objectLock: {enabled: true, mode: governance, days: 30}
    versioning: true
    retentionDays: 30
    credentialsSeparate: true
    initiatedFrom: outside-cluster
    contractInPlace: {ref: DPA-2026-008, date: 2026-01-15, by: Head of Procurement}
restoreTest:
  frequencyDays: 180
  decidedBy: Chief Medical Information Officer
  decisionRef: https://docs.example.org/decisions/2026-03-01-restore-tests
  basis: risk-analysis
  riskAnalysisAt: @ago(30)
  lastPerformed: @ago(10)
  resultsDocumented: {ref: https://docs.example.org/restore-tests/latest, date: @ago(10), by: Platform on-call}
  target: segregated
  measuresRto: true
  includesIntegrityCheck: {ref: https://docs.example.org/restore-tests/latest#integrity, date: @ago(10), by: Platform on-call}
integrityCheck: {frequencyDays: 30}
monitoring: {alertOnFailure: true, dashboard: true}
documentation:
  policyRef: https://docs.example.org/isms/backup-policy
  owner: Head of Platform Operations
  reviewedAt: @ago(30)
  retentionYears: 6
  restoreProcedureRef: https://docs.example.org/runbooks/velero-restore
  restoreApproval: true
  erasureProcedureRef: https://docs.example.org/runbooks/gdpr-erasure-replay
  migrationBackupProcedureRef: https://docs.example.org/runbooks/pre-migration-backup
  dataMapIncludesBackups: {ref: ROPA-2026 entry 14 (backups), date: 2026-02-01, by: Data Protection Officer}
gitops:
  engine: flux
"#;

fn dated(text: &str) -> String {
    let today = support::today();
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("@ago(") {
        let end = i + rest[i..].find(')').expect("closing parenthesis");
        let days: i64 = rest[i + 5..end].parse().expect("a number of days");
        out.push_str(&rest[..i]);
        out.push_str(&ck8s_gen::velero::dates::format_date(today - days));
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

fn validate_dir(dir: &Path) -> Outcome {
    let assets = Assets::embedded();
    validate::validate(&Request {
        dir,
        only: &[],
        assets: &assets,
        today: support::today(),
    })
    .expect("validation runs")
}

/// Validate the base with `edit` layered on top, under `profiles`.
fn run(profiles: &[&str], edit: &str) -> Vec<Diagnostic> {
    run_on(BASE, profiles, edit).diagnostics
}

/// The base without `lines` (each must occur once): what is left to the built-in defaults.
fn base_without(lines: &[&str]) -> String {
    let mut base = BASE.to_owned();
    for line in lines {
        assert_eq!(base.matches(line).count(), 1, "`{line}` in the base");
        base = base.replacen(line, "", 1);
    }
    base
}

/// Validate `base` (as `common.yaml`) with `edit` layered on top, under `profiles`.
fn run_on(base: &str, profiles: &[&str], edit: &str) -> Outcome {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("common.yaml"), dated(base)).expect("write base");
    let env = format!(
        "apiVersion: ck8s-gen/v1\nkind: Environment\nmetadata:\n  name: t\ncompliance: [{}]\n{}\n",
        profiles.join(", "),
        dated(edit)
    );
    std::fs::write(dir.path().join("t.yaml"), env).expect("write environment");
    let outcome = validate_dir(dir.path());
    let structural: Vec<&Diagnostic> = outcome
        .diagnostics
        .iter()
        .filter(|d| {
            matches!(
                d.code.as_str(),
                "unknown-key" | "missing-key" | "wrong-type" | "invalid-value" | "invalid-yaml"
            )
        })
        .collect();
    assert!(
        structural.is_empty(),
        "the case is not a valid environment ({edit}): {structural:#?}"
    );
    outcome
}

fn codes(found: &[Diagnostic]) -> Vec<String> {
    found
        .iter()
        .map(|d| format!("{}:{}", d.code, d.severity.as_str()))
        .collect()
}

fn find<'a>(found: &'a [Diagnostic], code: &str) -> Option<&'a Diagnostic> {
    found.iter().find(|d| d.code == code)
}

/// One failing example per rule: (rule, profiles, edit, expected severity).
#[rustfmt::skip]
const FAILS: &[(&str, &[&str], &str, Severity)] = &[
    ("ISO-01", ISO, "documentation: {policyRef: null}", Severity::Error),
    ("ISO-01", ISO, "documentation: {owner: null}", Severity::Error),
    ("ISO-02", ISO, "backup: {enabled: false}", Severity::Error),
    ("ISO-03", ISO, "backup: {scope: {clusterResources: false}}", Severity::Error),
    ("ISO-03", ISO, "backup: {scope: {persistentVolumes: false}}", Severity::Error),
    ("ISO-04", ISO, "backup: {scope: {platformConfig: false}}", Severity::Warning),
    ("ISO-04", ISO, "backup: {dashboards: {opensearch: false}}", Severity::Warning),
    ("ISO-05", ISO, "restoreTest: {lastPerformed: @ago(200)}", Severity::Error),
    ("ISO-05", ISO, "restoreTest: {lastPerformed: null}", Severity::Error),
    ("ISO-06", ISO, "restoreTest: {frequencyDays: 400}", Severity::Warning),
    ("ISO-07", ISO, "replication: {offsite: {enabled: false}}", Severity::Warning),
    ("ISO-07", ISO, "replication: {offsite: {destination: {site: sto1-a, region: sto1}}}", Severity::Warning),
    ("ISO-08", ISO, "storage: {encryption: {atRest: none}}", Severity::Warning),
    ("ISO-09", ISO, "monitoring: {alertOnFailure: false}", Severity::Warning),
    ("ISO-10", ISO, "backup: {retention: {justification: null}}", Severity::Warning),
    ("BSI-A5-01", BSI, "backup: {enabled: false}", Severity::Error),
    ("BSI-A5-02", BSI, "backup: {scope: {persistentVolumes: false}}", Severity::Error),
    ("BSI-A5-03", BSI, "backup: {scope: {clusterResources: false}}", Severity::Error),
    ("BSI-A5-03", BSI, "backup: {scope: {excludedResources+: [customresourcedefinitions]}}", Severity::Error),
    ("BSI-A5-04", BSI, "backup: {scope: {etcd: none}}", Severity::Error),
    ("BSI-A5-04", BSI, "backup: {scope: {etcd: api-objects-only, etcdBackupRef: null}}", Severity::Error),
    ("BSI-A5-04", BSI, "backup: {scope: {etcdBackupRef: null}}", Severity::Error),
    ("BSI-A5-05", BSI, "backup: {scope: {platformConfig: false}}", Severity::Error),
    ("BSI-A5-06", BSI, "backup: {scope: {infrastructureApps: false}}", Severity::Error),
    ("BSI-A5-07", BSI, "backup: {dashboards: {grafana: false}}", Severity::Warning),
    ("BSI-A5-08", BSI, "backup: {scope: {registry: false}}", Severity::Error),
    ("BSI-A5-09", BSI, "backup: {scope: {volumes: csi-snapshot}}", Severity::Error),
    ("BSI-A19", BSI, "replication: {offsite: {enabled: false}}", Severity::Warning),
    ("BSI-A20", BSI, "storage: {encryption: {atRest: none}}", Severity::Warning),
    ("HIPAA-01", HIPAA, "backup: {scope: {extraExcludedNamespaces: [scratch]}}", Severity::Error),
    ("HIPAA-01", HIPAA, "backup: {enabled: false}", Severity::Error),
    ("HIPAA-02", HIPAA, "backup: {scope: {volumes: csi-snapshot}}", Severity::Error),
    ("HIPAA-02", HIPAA, "backup: {scope: {persistentVolumes: false}}", Severity::Error),
    ("HIPAA-03", HIPAA, "documentation: {restoreProcedureRef: null}", Severity::Error),
    ("HIPAA-04", HIPAA, "restoreTest: {resultsDocumented: false}", Severity::Warning),
    ("HIPAA-05", HIPAA, "backup: {rpoHours: null}", Severity::Warning),
    ("HIPAA-06", HIPAA, "storage: {encryption: {atRest: none}}", Severity::Warning),
    ("HIPAA-07", HIPAA, "documentation: {retentionYears: 5}", Severity::Error),
    ("HIPAA-07", HIPAA, "documentation: {retentionYears: null}", Severity::Error),
    ("HIPAA-08", HIPAA, "documentation: {reviewedAt: @ago(400)}", Severity::Warning),
    ("HIPAA-09", HIPAA, "storage: {contractInPlace: false}", Severity::Error),
    ("HIPAA-09", HIPAA, "replication: {offsite: {contractInPlace: null}}", Severity::Error),
    ("HIPAA-10", HIPAA, "replication: {offsite: {enabled: false}}", Severity::Warning),
    ("HIPAA-11", HIPAA, "documentation: {migrationBackupProcedureRef: null}", Severity::Note),
    ("MSBFS-01", MSBFS, "documentation: {policyRef: null}", Severity::Warning),
    ("MSBFS-02", MSBFS, "backup: {scope: {extraExcludedNamespaces: [scratch]}}", Severity::Warning),
    ("MSBFS-03", MSBFS, "replication: {offsite: {credentialsSeparate: false}}", Severity::Warning),
    ("MSBFS-03", MSBFS, "replication: {offsite: {enabled: false}}", Severity::Warning),
    ("MSBFS-04", MSBFS, "restoreTest: {frequencyDays: null}", Severity::Warning),
    ("MSBFS-05", MSBFS, "backup: {retention: {restoreOnly: false}}", Severity::Warning),
    ("MSBFS-06", MSBFS, "backup: {rtoHours: null}", Severity::Warning),
    ("HSLF-01", HSLF, "documentation: {policyRef: null}", Severity::Error),
    ("HSLF-02", HSLF, "backup: {scope: {persistentVolumes: false}}", Severity::Error),
    ("HSLF-02", HSLF, "backup: {scope: {excludedNamespaces+: [patient-cache]}}", Severity::Error),
    ("HSLF-03", HSLF, "replication: {offsite: {credentialsSeparate: false}}", Severity::Error),
    ("HSLF-03", HSLF, "backup: {scope: {volumes: csi-snapshot}}", Severity::Error),
    ("HSLF-04", HSLF, "replication: {offsite: {enabled: false}}", Severity::Warning),
    ("HSLF-05", HSLF, "storage: {encryption: {atRest: none}}", Severity::Warning),
    ("HSLF-06", HSLF, "replication: {offsite: {destination: {endpoint: \"https://objects.other-cloud.example\"}, encrypt: {enabled: false, directoryNames: false, fileNames: false}}}", Severity::Warning),
    ("HSLF-06", HSLF, "replication: {offsite: {destination: {jurisdiction: NO}, encrypt: {enabled: false}}}", Severity::Warning),
    ("HSLF-07", HSLF, "backup: {retention: {decidedBy: null}}", Severity::Error),
    ("HSLF-07", HSLF, "backup: {retention: {decidedAt: null}}", Severity::Error),
    ("HSLF-08", HSLF, "backup: {retention: {ttl: 480h}}", Severity::Error),
    ("HSLF-09", HSLF, "restoreTest: {decidedBy: null}", Severity::Error),
    ("HSLF-09", HSLF, "restoreTest: null", Severity::Error),
    ("HSLF-10", HSLF, "restoreTest: {riskAnalysisAt: @ago(400)}", Severity::Warning),
    ("HSLF-10", HSLF, "restoreTest: {basis: policy}", Severity::Warning),
    ("GDPR-01", GDPR, "backup: {retention: {ttl: 876000h, maxDays: null}}", Severity::Error),
    ("GDPR-02", GDPR, "backup: {retention: {ttl: 1440h, maxDays: null, justification: null}}", Severity::Warning),
    ("GDPR-03", GDPR, "backup: {retention: {ttl: 2400h, maxDays: null}}", Severity::Warning),
    ("GDPR-04", GDPR, "documentation: {erasureProcedureRef: null}", Severity::Warning),
    ("GDPR-05", GDPR, "replication: {offsite: {objectLock: {days: 60}}}", Severity::Error),
    ("GDPR-05", GDPR, "storage: {objectLock: {enabled: true, mode: governance, days: 31}}", Severity::Error),
    ("GDPR-06", GDPR, "replication: {offsite: {mode: copy, retentionDays: null}}", Severity::Error),
    ("GDPR-06", GDPR, "replication: {offsite: {versioning: true, retentionDays: 90}}", Severity::Error),
    // Object lock forces versioning: without an expiry the locked versions stay for ever.
    ("GDPR-06", GDPR, "replication: {offsite: {retentionDays: null}}", Severity::Error),
    ("GDPR-07", GDPR, "storage: {encryption: {atRest: none}}", Severity::Warning),
    ("GDPR-08", GDPR, "restoreTest: {frequencyDays: null}", Severity::Warning),
    ("GDPR-09", GDPR, "replication: {offsite: {destination: {jurisdiction: US}}}", Severity::Error),
    ("GDPR-09", GDPR, "storage: {jurisdiction: IN}", Severity::Error),
    ("GDPR-09", GDPR, "replication: {offsite: {destination: {jurisdiction: null}}}", Severity::Error),
    ("GDPR-10", GDPR, "restoreTest: {target: production}", Severity::Warning),
    ("GDPR-11", GDPR, "documentation: {dataMapIncludesBackups: false}", Severity::Warning),
    ("GDPR-12", GDPR, "backup: {retention: {ttl: 1440h}}", Severity::Error),
    ("GDPR-12", GDPR, "backup: {tiers: [{name: monthly, schedule: \"0 3 1 * *\", ttl: 8760h}]}", Severity::Error),
    ("GDPR-03", GDPR, "backup: {retention: {ttl: 2400h, maxDays: null, legalObligation: Bokföringslagen 7 kap.}}", Severity::Warning),
    ("GDPR-03", GDPR, "backup: {retention: {maxDays: null}, tiers: [{name: monthly, schedule: \"0 3 1 * *\", ttl: 8760h}]}", Severity::Warning),
    ("NIS2-01", NIS2, "backup: {rtoHours: null}", Severity::Error),
    ("NIS2-02", NIS2, "backup: {scope: {platformConfig: false}}", Severity::Error),
    ("NIS2-03", NIS2, "replication: {offsite: {enabled: false}}", Severity::Error),
    ("NIS2-03", NIS2, "replication: {offsite: {destination: {site: null, region: sto1}}}", Severity::Error),
    ("NIS2-04", NIS2, "replication: {offsite: {initiatedFrom: in-cluster}}", Severity::Error),
    ("NIS2-04", NIS2, "replication: {offsite: {credentialsSeparate: false}}", Severity::Error),
    ("NIS2-05", NIS2, "documentation: {restoreProcedureRef: null}", Severity::Error),
    ("NIS2-06", NIS2, "backup: {retention: {justification: null}}", Severity::Error),
    ("NIS2-07", NIS2, "integrityCheck: null", Severity::Error),
    ("NIS2-07-30", NIS2, "integrityCheck: {frequencyDays: 60}", Severity::Warning),
    ("NIS2-08", NIS2, "restoreTest: {resultsDocumented: false}", Severity::Error),
    ("NIS2-08-365", NIS2, "restoreTest: {frequencyDays: 400}", Severity::Warning),
    ("NIS2-09", NIS2, "monitoring: {dashboard: false}", Severity::Warning),
    ("DORA-01", DORA, "backup: {maxIntervalHours: 12, rpoHours: 48}", Severity::Error),
    ("DORA-01", DORA, "backup: {maxIntervalHours: null}", Severity::Error),
    ("DORA-02", DORA, "documentation: {restoreProcedureRef: null}", Severity::Error),
    ("DORA-03", DORA, "restoreTest: {frequencyDays: 400}", Severity::Error),
    ("DORA-04", DORA, "restoreTest: {target: production}", Severity::Error),
    ("DORA-04-IN-CLUSTER", DORA, "restoreTest: {namespaces: [monitoring]}", Severity::Warning),
    ("DORA-05", DORA, "replication: {offsite: {enabled: false}}", Severity::Warning),
    ("DORA-06", DORA, "replication: {offsite: {destination: {region: sto1}}}", Severity::Warning),
    ("DORA-07", DORA, "backup: {rpoHours: 12}", Severity::Error),
    ("DORA-07", DORA, "backup: {rtoHours: null}", Severity::Error),
    ("DORA-08", DORA, "restoreTest: {includesIntegrityCheck: false}", Severity::Error),
    ("X-01", ISO, "storage: {objectLock: {enabled: true, mode: governance, days: 30}}", Severity::Warning),
    ("X-02", ISO, "replication: {offsite: {objectLock: {days: 60}}}", Severity::Warning),
    ("X-03", ISO, "replication: {offsite: {objectLock: {mode: compliance}}}", Severity::Note),
    ("X-04", ISO, "backup: {scope: {volumes: csi-snapshot}}", Severity::Warning),
    ("X-05", ISO, "backup: {rpoHours: 12}", Severity::Error),
    ("X-06", ISO, "backup: {retention: {ttl: 24h, minDays: null}}\nreplication: {offsite: {objectLock: null}}", Severity::Warning),
    ("X-07", ISO, "replication: {offsite: {schedule: \"0 0 * * *\"}}", Severity::Warning),
    ("X-07", ISO, "replication: {offsite: {schedule: \"0 5 * * 1\"}}", Severity::Warning),
    ("X-08", ISO, "backup: {scope: {extraExcludedNamespaces: [scratch]}}", Severity::Warning),
    ("X-09", GDPR, "restoreTest: {lastPerformed: null}", Severity::Warning),
    ("X-10", GDPR, "monitoring: {dashboard: false}", Severity::Warning),
    ("CONFLICT-RETENTION", &["hslf-fs-2016-40", "gdpr-art-17"], "backup: {retention: {minDays: 60}}", Severity::Error),
    ("CONFLICT-OBJECT-LOCK", &["gdpr-art-17", "nis2-art-21"], "replication: {offsite: {objectLock: {days: 60}}}", Severity::Error),
    ("CONFLICT-HIPAA-6Y", HIPAA, "backup: {retention: {ttl: 52560h, maxDays: null}}", Severity::Warning),
    ("CONFLICT-TRANSFER", &["gdpr-art-17", "iso-27001-a.12.3.1"], "replication: {offsite: {destination: {jurisdiction: US}}}", Severity::Error),
    ("CONFLICT-RESTORE-TEST", &["dora-art-12", "hslf-fs-2016-40"], "restoreTest: {frequencyDays: 400}", Severity::Error),
];

/// Rules that apply only under a condition, with the condition false and the setting the
/// rule would otherwise flag: the rule must stay silent. (rule, profiles, edit)
#[rustfmt::skip]
const PASSES: &[(&str, &[&str], &str)] = &[
    ("BSI-A19", BSI, "cluster: {protectionNeed: normal}\nreplication: {offsite: {enabled: false}}"),
    ("BSI-A20", BSI, "cluster: {protectionNeed: normal}\nstorage: {encryption: {atRest: none}}"),
    ("MSBFS-06", MSBFS, "cluster: {availabilityNeed: normal}\nbackup: {rtoHours: null}"),
    ("DORA-05", DORA, "cluster: {doraEntity: microenterprise}\nreplication: {offsite: {enabled: false}}"),
    ("DORA-06", DORA, "cluster: {doraEntity: financial-entity}\nreplication: {offsite: {destination: {region: sto1}}}"),
    ("DORA-06", DORA, "cluster: {doraEntity: microenterprise}\nreplication: {offsite: {destination: {region: sto1}}}"),
    ("NIS2-05", NIS2, "documentation: {restoreApproval: false}"),
    ("BSI-A5-04", BSI, "backup: {scope: {etcd: provider-managed, etcdBackupRef: null}}"),
    ("BSI-A5-04", BSI, "backup: {scope: {etcd: api-objects-only}}"),
    ("GDPR-02", GDPR, "backup: {retention: {ttl: 1440h, maxDays: null}}"),
    ("GDPR-03", GDPR, "backup: {retention: {ttl: 2400h, maxDays: null, legalObligation: {reference: Bokföringslagen (1999:1078) 7 kap. 2 §, scope: backups of the ledger database for the seven-year archive}}}"),
    ("GDPR-06", GDPR, "replication: {offsite: {mode: copy, retentionDays: 30}}"),
    ("GDPR-09", GDPR, "replication: {offsite: {destination: {jurisdiction: US}, transferMechanism: EU-US Data Privacy Framework}}"),
    ("GDPR-09", GDPR, "replication: {offsite: {destination: {jurisdiction: CH}}}"),
    ("GDPR-12", GDPR, "backup: {retention: {ttl: 720h0m0s}}"),
    ("GDPR-12", GDPR, "backup: {retention: {ttl: 1440h, maxDays: 60, justification: Two months of detection}}"),
    ("HIPAA-09", HIPAA, "storage: {selfOperated: true, contractInPlace: false}\nreplication: {offsite: {selfOperated: true, contractInPlace: false}}"),
    ("HSLF-06", HSLF, "replication: {offsite: {encrypt: {enabled: false, directoryNames: false, fileNames: false}}}"),
    ("HSLF-08", HSLF, "backup: {retention: {minDays: null, ttl: 240h}}"),
    ("HIPAA-01", HIPAA, "backup: {scope: {extraExcludedNamespaces: [scratch], exclusionJustification: Throw-away test deployments only; no ePHI.}}"),
    ("X-07", ISO, "replication: {offsite: {schedule: \"30 23 * * *\"}, objectLock: null}\nbackup: {schedule: \"0 22 * * *\"}"),
    ("X-08", ISO, "backup: {scope: {excludedNamespaces: [kube-system, velero]}}"),
    ("CONFLICT-OBJECT-LOCK", GDPR, "replication: {offsite: {objectLock: {days: 60}}}"),
    ("CONFLICT-TRANSFER", GDPR, "replication: {offsite: {destination: {jurisdiction: US}}}"),
    ("CONFLICT-RESTORE-TEST", DORA, "restoreTest: {frequencyDays: 400}"),
    ("CONFLICT-HIPAA-6Y", GDPR, "backup: {retention: {ttl: 52560h, maxDays: null}}"),
];

#[test]
fn every_rule_has_a_failing_example_with_its_severity() {
    let catalog = Catalog::load(&Assets::embedded()).expect("profiles load");
    let tested: BTreeSet<&str> = FAILS.iter().map(|(rule, ..)| *rule).collect();
    let missing: Vec<&str> = catalog
        .rules()
        .map(|(_, r)| r.meta.id.as_str())
        .filter(|id| !tested.contains(id))
        .collect();
    assert!(
        missing.is_empty(),
        "rules without a failing example: {missing:?}"
    );
    for (rule, ..) in FAILS {
        let (_, r) = catalog
            .rule(rule)
            .unwrap_or_else(|| panic!("{rule} is not a rule"));
        let expected = FAILS.iter().find(|c| c.0 == *rule).map(|c| c.3);
        assert_eq!(
            Some(r.meta.severity.severity()),
            expected,
            "{rule}: severity"
        );
    }
}

#[test]
fn failing_examples_fail() {
    let mut problems = Vec::new();
    for (rule, profiles, edit, severity) in FAILS {
        let found = run(profiles, edit);
        match find(&found, rule) {
            Some(d) if d.severity == *severity && d.accepted.is_none() => {
                if d.citation.is_none() || d.help.is_none() || d.primary.is_none() {
                    problems.push(format!(
                        "{rule} ({edit}): finding without citation, fix or location"
                    ));
                }
            }
            Some(d) => problems.push(format!(
                "{rule} ({edit}): severity {} instead of {}",
                d.severity.as_str(),
                severity.as_str()
            )),
            None => problems.push(format!(
                "{rule} ({edit}): not reported; found {:?}",
                codes(&found)
            )),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_base_meets_every_rule_of_every_profile() {
    let found = run(ALL, "");
    assert!(
        found.is_empty(),
        "the base environment has findings: {:#?}",
        found
    );
}

#[test]
fn conditional_rules_stay_silent_when_they_do_not_apply() {
    let mut problems = Vec::new();
    for (rule, profiles, edit) in PASSES {
        let found = run(profiles, edit);
        if find(&found, rule).is_some() {
            problems.push(format!(
                "{rule} ({edit}): reported although it does not apply"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn conflicts_replace_the_rules_they_name() {
    let found = run(
        &["hslf-fs-2016-40", "gdpr-art-17"],
        "backup: {retention: {minDays: 60}}",
    );
    let conflict = find(&found, "CONFLICT-RETENTION").expect("conflict reported");
    assert!(conflict.message.contains("HSLF-08") && conflict.message.contains("GDPR-12"));
    for gone in ["HSLF-08", "GDPR-12", "retention-below-minimum"] {
        assert!(
            find(&found, gone).is_none(),
            "{gone} is reported besides the conflict"
        );
    }
    let found = run(
        &["gdpr-art-17", "nis2-art-21"],
        "replication: {offsite: {objectLock: {days: 60}}}",
    );
    assert!(find(&found, "CONFLICT-OBJECT-LOCK").is_some());
    for gone in ["GDPR-05", "X-02", "object-lock-outlives-retention"] {
        assert!(
            find(&found, gone).is_none(),
            "{gone} is reported besides the conflict"
        );
    }
    let found = run(
        &["gdpr-art-17", "iso-27001-a.12.3.1"],
        "replication: {offsite: {destination: {jurisdiction: US}}}",
    );
    let conflict = find(&found, "CONFLICT-TRANSFER").expect("conflict reported");
    assert!(conflict.message.contains("ISO-07") && conflict.message.contains("GDPR-09"));
    assert!(find(&found, "GDPR-09").is_none());
    let found = run(
        &["dora-art-12", "hslf-fs-2016-40"],
        "restoreTest: {frequencyDays: 400}",
    );
    assert!(find(&found, "CONFLICT-RESTORE-TEST").is_some());
    assert!(find(&found, "DORA-03").is_none());
    let found = run(
        &["hipaa-164.308-a7", "gdpr-art-17"],
        "backup: {retention: {ttl: 52560h, maxDays: null}}",
    );
    assert!(find(&found, "CONFLICT-HIPAA-6Y").is_some());
    assert!(
        find(&found, "GDPR-03").is_none(),
        "the conflict explains GDPR-03"
    );
}

#[test]
fn cross_cutting_rules_yield_to_the_profile_rule_at_the_same_key() {
    let found = run(
        &["gdpr-art-17"],
        "replication: {offsite: {objectLock: {days: 60}}}",
    );
    assert!(find(&found, "GDPR-05").is_some());
    assert!(find(&found, "X-02").is_none());
    assert!(find(&found, "object-lock-outlives-retention").is_none());
    let found = run(
        &["bsi-app.4.4.a5"],
        "backup: {scope: {volumes: csi-snapshot}}",
    );
    assert!(find(&found, "BSI-A5-09").is_some());
    assert!(find(&found, "X-04").is_none());
    assert!(find(&found, "snapshot-is-not-a-backup").is_none());
    let found = run(
        &["iso-27001-a.12.3.1"],
        "monitoring: {alertOnFailure: false, dashboard: false}",
    );
    assert!(find(&found, "ISO-09").is_some());
    let x10 = find(&found, "X-10").expect("the dashboard part stays");
    assert!(x10.message.contains("dashboard") && !x10.message.contains("alert"));
}

#[test]
fn a_rule_reports_once_with_every_failing_key() {
    let found = run(
        ISO,
        "backup: {scope: {platformConfig: false, registry: false}}",
    );
    let iso04: Vec<&Diagnostic> = found.iter().filter(|d| d.code == "ISO-04").collect();
    assert_eq!(iso04.len(), 1, "{iso04:#?}");
    assert!(
        iso04[0].message.contains("platform configuration")
            && iso04[0].message.contains("registry")
    );
    assert_eq!(
        iso04[0].secondary.len(),
        1,
        "the second key is a secondary label"
    );
    // Two profiles, one cross-cutting finding.
    let found = run(
        &["iso-27001-a.12.3.1", "gdpr-art-17"],
        "backup: {scope: {extraExcludedNamespaces: [scratch]}}",
    );
    assert_eq!(found.iter().filter(|d| d.code == "X-08").count(), 1);
}

#[test]
fn interpretations_are_marked_in_the_citation() {
    let found = run(ALL, "restoreTest: {target: production}");
    let dora = find(&found, "GDPR-10").expect("reported");
    assert!(dora.citation.as_ref().is_some_and(|c| c.interpretation));
    let found = run(ALL, "documentation: {restoreProcedureRef: null}");
    let hipaa = find(&found, "HIPAA-03").expect("reported");
    let citation = hipaa.citation.as_ref().expect("cited");
    assert!(!citation.interpretation);
    assert_eq!(citation.reference, "HIPAA 45 CFR §164.308(a)(7)(ii)(B)");
    assert!(
        citation
            .quote
            .as_deref()
            .is_some_and(|q| q.contains("restore any loss of data"))
    );
    let found = run(MSBFS, "documentation: {policyRef: null}");
    let msbfs = find(&found, "MSBFS-01").expect("reported");
    assert!(
        msbfs
            .citation
            .as_ref()
            .is_some_and(|c| c.interpretation && c.reference.contains("wording not verified"))
    );
    let found = run(DORA, "replication: {offsite: {enabled: false}}");
    let dora = find(&found, "DORA-05").expect("reported");
    // An interpretation is never an error (regulations.md errata 2026-12-01).
    assert_eq!(dora.severity, Severity::Warning);
    assert!(
        dora.citation.as_ref().is_some_and(|c| c.interpretation),
        "a rule read by us"
    );
}

#[test]
fn unknown_profiles_are_errors_with_a_suggestion_and_aliases_work() {
    let found = run(&["gdpr-art-71"], "");
    let d = find(&found, "unknown-profile").expect("reported");
    assert_eq!(d.severity, Severity::Error);
    assert!(
        d.help
            .as_deref()
            .is_some_and(|h| h.contains("did you mean `gdpr-art-17`?")),
        "{:?}",
        d.help
    );
    assert!(d.primary.is_some());
    let found = run(
        &["iso-27001-2022-a.8.13"],
        "backup: {scope: {platformConfig: false}}",
    );
    assert!(find(&found, "unknown-profile").is_none());
    assert!(find(&found, "ISO-04").is_some());
    let found = run(
        &["iso-27001-2022-a.8.13", "iso-27001-a.12.3.1"],
        "backup: {scope: {platformConfig: false}}",
    );
    assert_eq!(found.iter().filter(|d| d.code == "ISO-04").count(), 1);
    let found = run(&["cross-cutting"], "");
    assert!(
        find(&found, "unknown-profile").is_some(),
        "implicit profiles are not listed"
    );
}

#[test]
fn deviations_accept_warnings_visibly_and_never_errors() {
    let deviation = "deviations:\n  - {rule: ISO-04, reason: The config repository is mirrored to a second Git service., owner: CISO, expires: @ago(-30)}\n  - {rule: ISO-03, reason: Cluster resources are rebuilt from Git., owner: CISO}";
    let edit = format!(
        "backup: {{scope: {{platformConfig: false, clusterResources: false}}}}\n{deviation}"
    );
    let found = run(ISO, &edit);
    let accepted = find(&found, "ISO-04").expect("the accepted warning is still shown");
    let acceptance = accepted.accepted.as_ref().expect("marked accepted");
    assert_eq!(acceptance.owner, "CISO");
    assert!(!accepted.is_failure());
    let error = find(&found, "ISO-03").expect("the error stays");
    assert!(error.accepted.is_none() && error.is_failure());
    let refused = find(&found, "deviation-not-allowed").expect("refused");
    assert!(refused.message.contains("ISO-03"));
    // Expired: the warning is back.
    let expired = "deviations:\n  - {rule: ISO-04, reason: The config repository is mirrored to a second Git service., owner: CISO, expires: @ago(1)}";
    let found = run(
        ISO,
        &format!("backup: {{scope: {{platformConfig: false}}}}\n{expired}"),
    );
    assert!(find(&found, "ISO-04").is_some_and(|d| d.accepted.is_none()));
    assert!(find(&found, "deviation-expired").is_some());
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("`{needle}` not in the file"))
        + 1
}

fn shipped_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("environments");
    for entry in std::fs::read_dir(shipped).expect("environments/") {
        let path = entry.expect("entry").path();
        std::fs::copy(&path, dir.path().join(path.file_name().expect("name"))).expect("copy");
    }
    dir
}

#[test]
fn findings_point_at_the_offending_line() {
    let dir = shipped_copy();
    let file = dir.path().join("prod-se-health.yaml");
    let text = std::fs::read_to_string(&file)
        .expect("read")
        .replace("ttl: 720h", "ttl: 8760h");
    std::fs::write(&file, &text).expect("write");
    let outcome = validate_dir(dir.path());
    let d = find(&outcome.diagnostics, "GDPR-12").expect("GDPR-12 reported");
    let label = d.primary.as_ref().expect("located");
    let at = outcome.sources.describe(label.location);
    assert!(at.path.ends_with("prod-se-health.yaml"), "{}", at.path);
    assert_eq!(at.line, line_of(&text, "ttl: 8760h"));
    assert_eq!(
        at.column,
        text.lines()
            .nth(at.line - 1)
            .unwrap()
            .find("8760h")
            .unwrap()
            + 1
    );
    assert_eq!(d.severity, Severity::Error);
    assert!(
        d.citation
            .as_ref()
            .is_some_and(|c| c.reference.starts_with("GDPR Art. 5(1)(e)"))
    );
}

#[test]
fn extra_tiers_count_for_the_gdpr_bounds_and_are_located() {
    let found = run(
        GDPR,
        "backup: {tiers: [{name: monthly, schedule: \"0 3 1 * *\", ttl: 8760h}]}",
    );
    let d = find(&found, "GDPR-12").expect("GDPR-12 reported for the tier");
    assert!(
        d.message
            .starts_with("the `monthly` tier's backups are kept 365 days"),
        "{}",
        d.message
    );
    // The object lock (30 days) still fits the shortest retention (the daily 30 days).
    assert!(find(&found, "GDPR-05").is_none());
    let found = run(GDPR, "backup: {retention: {ttl: 480h, minDays: 20}}");
    let d = find(&found, "GDPR-05").expect("the lock outlives the 20-day dailies");
    assert!(
        d.message
            .contains("30 days, longer than the retention of 20 days"),
        "{}",
        d.message
    );
}

#[test]
fn a_missing_key_without_an_ancestor_points_at_the_compliance_entry() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = "apiVersion: ck8s-gen/v1\nkind: Environment\nmetadata:\n  name: bare\ncluster:\n  role: management\n  provider: safespring\ncompliance:\n  - iso-27001-a.12.3.1\n  - hslf-fs-2016-40\nstorage:\n  provider: s3\n  bucket: bare-velero\n  credentials: {secretName: velero-credentials}\ngitops:\n  engine: flux\n";
    std::fs::write(dir.path().join("bare.yaml"), text).expect("write");
    let outcome = validate_dir(dir.path());
    let d = find(&outcome.diagnostics, "HSLF-09").expect("HSLF-09 reported");
    let at = outcome
        .sources
        .describe(d.primary.as_ref().expect("located").location);
    assert_eq!(at.line, line_of(text, "- hslf-fs-2016-40"));
    let d = find(&outcome.diagnostics, "ISO-05").expect("ISO-05 reported");
    let at = outcome
        .sources
        .describe(d.primary.as_ref().expect("located").location);
    assert_eq!(at.line, line_of(text, "- iso-27001-a.12.3.1"));
    // A key inherited from the built-in defaults is shown at the nearest key of the user's file.
    let d = find(&outcome.diagnostics, "ISO-04").expect("ISO-04 reported");
    let at = outcome
        .sources
        .describe(d.primary.as_ref().expect("located").location);
    assert!(
        at.path.ends_with("bare.yaml"),
        "never inside the built-in defaults: {}",
        at.path
    );
}

#[test]
fn the_shipped_health_care_example_and_its_three_changes() {
    let dir = shipped_copy();
    let outcome = validate_dir(dir.path());
    let prod = |d: &&Diagnostic| d.environment.as_deref() == Some("prod-se-health");
    let errors: Vec<&Diagnostic> = outcome
        .diagnostics
        .iter()
        .filter(prod)
        .filter(|d| d.severity == Severity::Error)
        .collect();
    // Dates in the example age: only the restore-test rule may turn, after 2027-05-01.
    if support::today() <= ck8s_gen::velero::dates::parse_date("2027-04-30").unwrap() {
        assert!(errors.is_empty(), "{errors:#?}");
    }
    let file = dir.path().join("prod-se-health.yaml");
    let original = std::fs::read_to_string(&file).expect("read");
    let variant = |from: &str, to: &str| {
        assert!(
            original.contains(from),
            "`{from}` not in prod-se-health.yaml"
        );
        std::fs::write(&file, original.replacen(from, to, 1)).expect("write");
        let found: Vec<Diagnostic> = validate_dir(dir.path())
            .diagnostics
            .into_iter()
            .filter(|d| d.environment.as_deref() == Some("prod-se-health"))
            .collect();
        found
    };
    let found = variant("ttl: 720h", "ttl: 8760h");
    assert!(
        find(&found, "GDPR-12").is_some_and(|d| d.severity == Severity::Error),
        "{:?}",
        codes(&found)
    );
    assert!(find(&found, "GDPR-03").is_some_and(|d| d.severity == Severity::Warning));
    let found = variant(
        "  offsite:\n    enabled: true",
        "  offsite:\n    enabled: false",
    );
    assert!(
        find(&found, "HSLF-04").is_some_and(|d| d.severity == Severity::Warning),
        "{:?}",
        codes(&found)
    );
    assert!(find(&found, "ISO-07").is_some_and(|d| d.severity == Severity::Warning));
    let found = variant(
        "  decidedBy: Chief Medical Information Officer\n  decisionRef",
        "  decisionRef",
    );
    let d = find(&found, "HSLF-09").expect("HSLF-09 reported");
    assert_eq!(d.severity, Severity::Error);
    assert!(
        d.citation
            .as_ref()
            .is_some_and(|c| c.reference == "HSLF-FS 2016:40 3 kap. 13 §")
    );
}

fn status_of(outcome: &Outcome, rule: &str) -> Option<Status> {
    outcome
        .environments
        .iter()
        .find(|c| c.loaded.name == "t")
        .and_then(|c| c.rules.iter().find(|r| r.rule == rule))
        .map(|r| r.status)
}

/// The false passes of the compliance review (issue #17): each of these passed before.
#[test]
fn review_false_passes_no_longer_pass() {
    // GDPR-09 (Art. 44): a primary bucket in a non-EU region with no declared country.
    let o = run_on(
        BASE,
        GDPR,
        "storage: {jurisdiction: null, region: us-east-1}",
    );
    let d = find(&o.diagnostics, "GDPR-09").expect("GDPR-09 reported");
    assert_eq!(d.severity, Severity::Error);
    assert!(
        d.message.contains("does not declare its country"),
        "{}",
        d.message
    );
    assert_eq!(status_of(&o, "GDPR-09"), Some(Status::Fail));
    // Derived: the bucket in the cluster's own region takes the cluster's declared country.
    let o = run_on(BASE, GDPR, "storage: {jurisdiction: null}");
    assert!(
        find(&o.diagnostics, "GDPR-09").is_none(),
        "{:?}",
        codes(&o.diagnostics)
    );
    let o = run_on(
        BASE,
        GDPR,
        "storage: {jurisdiction: null, region: us-east-1}\ncluster: {region: us-east-1, jurisdiction: US}",
    );
    assert!(
        find(&o.diagnostics, "GDPR-09")
            .is_some_and(|d| d.message.contains("in US, outside the EU/EEA"))
    );

    // HIPAA-09: a bare-metal cluster with a bucket at a provider still needs a BAA.
    let o = run_on(
        BASE,
        HIPAA,
        "cluster: {provider: baremetal}\nstorage: {contractInPlace: false}",
    );
    let d = find(&o.diagnostics, "HIPAA-09").expect("HIPAA-09 reported");
    assert_eq!(d.severity, Severity::Error);
    assert!(d.message.contains("backup storage"), "{}", d.message);
    let o = run_on(
        BASE,
        HIPAA,
        "cluster: {provider: baremetal}\nreplication: {offsite: {contractInPlace: false}}",
    );
    assert!(find(&o.diagnostics, "HIPAA-09").is_some_and(|d| d.message.contains("off-site")));

    // A restore test dated in the future is no evidence: ISO-05 fails, and it is an error.
    let o = run_on(BASE, ISO, "restoreTest: {lastPerformed: @ago(-10)}");
    assert_eq!(status_of(&o, "ISO-05"), Some(Status::Fail));
    let d = find(&o.diagnostics, "future-evidence-date").expect("future date reported");
    assert_eq!(d.severity, Severity::Error);
    assert!(
        d.message.contains("restoreTest.lastPerformed"),
        "{}",
        d.message
    );

    // Encryption at rest left to the default on an S3-compatible provider: not evidenced.
    let bare = base_without(&["  encryption: {atRest: provider-managed}\n"]);
    for (rule, profiles) in [
        ("ISO-08", ISO),
        ("GDPR-07", GDPR),
        ("HIPAA-06", HIPAA),
        ("HSLF-05", HSLF),
        ("BSI-A20", BSI),
    ] {
        let o = run_on(&bare, profiles, "");
        assert_eq!(status_of(&o, rule), Some(Status::NotEvidenced), "{rule}");
        let d = find(&o.diagnostics, rule).unwrap_or_else(|| panic!("{rule} reported"));
        assert_eq!(d.severity, Severity::Warning, "{rule}");
        assert!(
            d.message.starts_with("not evidenced")
                && d.message.contains("storage.encryption.atRest"),
            "{}",
            d.message
        );
    }
    // On AWS S3 (no endpoint) every object is encrypted: the default holds.
    let o = run_on(
        &bare,
        ISO,
        "storage: {endpoint: null, forcePathStyle: false}",
    );
    assert_eq!(
        status_of(&o, "ISO-08"),
        Some(Status::Pass),
        "{:?}",
        codes(&o.diagnostics)
    );

    // MUST rules resting on built-in defaults nobody wrote down.
    let bare = base_without(&[
        "    registry: true\n",
        "    infrastructureApps: true\n",
        "monitoring: {alertOnFailure: true, dashboard: true}\n",
        "    credentialsSeparate: true\n",
        "    initiatedFrom: outside-cluster\n",
    ]);
    for (rule, profiles, severity) in [
        ("BSI-A5-06", BSI, Severity::Error),
        ("BSI-A5-08", BSI, Severity::Error),
        ("ISO-09", ISO, Severity::Warning),
        ("NIS2-04", NIS2, Severity::Error),
        ("DORA-04", DORA, Severity::Error),
    ] {
        let o = run_on(&bare, profiles, "");
        assert_eq!(status_of(&o, rule), Some(Status::NotEvidenced), "{rule}");
        let d = find(&o.diagnostics, rule).unwrap_or_else(|| panic!("{rule} reported"));
        assert_eq!(d.severity, severity, "{rule}");
        assert!(d.message.contains("built-in default"), "{}", d.message);
        assert!(d.help.as_deref().is_some_and(|h| h.contains("declare")));
    }

    // Object lock with `versioning: false` (impossible on S3): the bucket really versions.
    let o = run_on(
        BASE,
        GDPR,
        "replication: {offsite: {versioning: false, retentionDays: null}}",
    );
    let d = find(&o.diagnostics, "GDPR-06").expect("GDPR-06 reported");
    assert!(
        d.message.contains("object lock needs a versioned bucket"),
        "{}",
        d.message
    );

    // A free-text legal obligation does not silence GDPR-03; reference and scope do.
    let o = run_on(
        BASE,
        GDPR,
        "backup: {retention: {ttl: 2400h, maxDays: null, legalObligation: we must}}",
    );
    assert!(
        find(&o.diagnostics, "GDPR-03").is_some_and(|d| d.message.contains("provision and scope"))
    );
}

fn rule_meta(id: &str) -> ck8s_gen::compliance::catalog::RuleMeta {
    let catalog = Catalog::load(&Assets::embedded()).expect("profiles load");
    catalog.rule(id).expect("a rule").1.meta.clone()
}

/// The rules the review found overclaiming, each held to the text in force
/// (regulations.md, errata 2026-12-01).
#[test]
fn corrected_rules_say_what_the_adopted_text_says() {
    use ck8s_gen::compliance::catalog::{Level, SourceKind};
    // NIS2 IR 2024/2690 Annex 4.2.2(e), adopted: "(e) restoring data from backup copies;".
    let m = rule_meta("NIS2-05");
    assert_eq!(
        m.quote.as_deref(),
        Some("(e) restoring data from backup copies;")
    );
    assert!(!m.checks.contains("approval step") || m.checks.contains("no approval step"));
    let found = run(NIS2, "documentation: {restoreApproval: false}");
    assert!(
        find(&found, "NIS2-05").is_none(),
        "no approval process is required"
    );

    // DORA Art. 12(4) read as an off-site copy is our interpretation: a warning a deviation accepts.
    let m = rule_meta("DORA-05");
    assert!(m.is_interpretation() && m.severity == Level::Warning);
    let found = run(
        DORA,
        "replication: {offsite: {enabled: false}}\ndeviations: [{rule: DORA-05, reason: Redundant capacity is a second cluster in another data centre., owner: CISO, expires: 2027-06-30}]",
    );
    assert!(find(&found, "DORA-05").is_some_and(|d| d.accepted.is_some()));

    // DORA Art. 12(5) is addressed to central securities depositories alone.
    let m = rule_meta("DORA-06");
    assert!(m.checks.contains("central securities depository") && m.severity == Level::Warning);
    assert!(
        Catalog::load(&Assets::embedded())
            .unwrap()
            .rule("DORA-06-CSD")
            .is_none()
    );

    // X-02: Veeam's sentence in full, a cost recommendation: a warning (error only via GDPR-05).
    let m = rule_meta("X-02");
    assert_eq!(
        m.quote.as_deref(),
        Some(
            "We recommend that you do not set the immutability period longer than the retention policy of the backup job, otherwise it will result in extra charges."
        )
    );
    assert_eq!(
        (m.severity, m.source_kind),
        (Level::Warning, SourceKind::VendorPractice)
    );
    assert!(m.checks.contains("garbage collection"));

    // GDPR-11: the record of processing is Art. 30 (and accountability 5(2)), not Art. 17.
    let m = rule_meta("GDPR-11");
    assert_eq!(
        m.citation.reference().split(" (").next(),
        Some("GDPR Art. 30(1), 5(2)")
    );

    // CONFLICT-OBJECT-LOCK: NIS2 4.2.2(d) and DORA 12(3) do not require immutability.
    let m = rule_meta("CONFLICT-OBJECT-LOCK");
    assert!(
        m.citation
            .reference()
            .contains("neither NIS2 IR 4.2.2(d) nor DORA Art. 12(3) requires immutability")
    );
    let found = run(
        &["gdpr-art-17", "nis2-art-21"],
        "replication: {offsite: {objectLock: {days: 60}}}",
    );
    let d = find(&found, "CONFLICT-OBJECT-LOCK").expect("reported");
    assert!(!d.message.contains("(NIS2 IR 4.2.2(d)"), "{}", d.message);

    // X-03: the S3 documentation, not the seed's commented-out paragraph.
    let m = rule_meta("X-03");
    assert!(m.citation.reference().starts_with("Amazon S3 User Guide"));
    assert!(
        m.quote
            .as_deref()
            .is_some_and(|q| q.contains("including the root user"))
    );

    // X-08: MSBFS-02 is a warning; only HIPAA and HSLF-FS make exclusions an error.
    let m = rule_meta("X-08");
    assert!(
        m.checks
            .contains("MSBFS-02, an interpretation, reports it as a warning")
    );
    let found = run(
        MSBFS,
        "backup: {scope: {extraExcludedNamespaces: [scratch]}}",
    );
    assert!(
        found.iter().all(|d| d.severity != Severity::Error),
        "{:?}",
        codes(&found)
    );

    // BSI APP.4.4.A5 (Basis, MUSS) names etcd: `api-objects-only` is an error unless an etcd
    // backup is referenced.
    let m = rule_meta("BSI-A5-04");
    assert!(
        m.quote
            .as_deref()
            .is_some_and(|q| q.contains("namentlich hier etcd"))
    );
    let found = run(
        BSI,
        "backup: {scope: {etcd: api-objects-only, etcdBackupRef: null}}",
    );
    assert!(find(&found, "BSI-A5-04").is_some_and(|d| d.severity == Severity::Error));
    assert!(
        Catalog::load(&Assets::embedded())
            .unwrap()
            .rule("BSI-A5-04-API")
            .is_none()
    );

    // NIS2 4.2.5 ("where appropriate") is capacity planning, not alerting on failed backups.
    let m = rule_meta("NIS2-09");
    assert!(m.is_interpretation() && m.checks.contains("capacity planning"));
    assert!(!m.fields.iter().any(|f| f == "/monitoring/alertOnFailure"));

    // BSI APP.4.4.A20 is about the file systems of etcd and of persistent data.
    let m = rule_meta("BSI-A20");
    assert!(m.is_interpretation() && m.checks.contains("file systems"));

    // Every rule says what kind of text it rests on; vendor practice is never an error.
    let catalog = Catalog::load(&Assets::embedded()).unwrap();
    for (_, r) in catalog.rules() {
        if r.meta.source_kind == SourceKind::VendorPractice {
            assert_ne!(r.meta.severity, Level::Error, "{}", r.meta.id);
        }
    }
}

/// Self-declared booleans are not evidence: each becomes a reference `{ref, date, by}`; a
/// bare `true` still loads, as `not-evidenced` with a fix.
#[test]
fn evidence_references_instead_of_booleans() {
    for (rule, profiles, edit) in [
        ("NIS2-08", NIS2, "restoreTest: {resultsDocumented: true}"),
        ("HIPAA-04", HIPAA, "restoreTest: {resultsDocumented: true}"),
        (
            "DORA-08",
            DORA,
            "restoreTest: {includesIntegrityCheck: true}",
        ),
        ("HIPAA-09", HIPAA, "storage: {contractInPlace: true}"),
        (
            "HIPAA-09",
            HIPAA,
            "replication: {offsite: {contractInPlace: true}}",
        ),
        (
            "GDPR-11",
            GDPR,
            "documentation: {dataMapIncludesBackups: true}",
        ),
    ] {
        let o = run_on(BASE, profiles, edit);
        assert_eq!(
            status_of(&o, rule),
            Some(Status::NotEvidenced),
            "{rule} ({edit})"
        );
        let d = find(&o.diagnostics, rule).unwrap_or_else(|| panic!("{rule} reported"));
        assert_eq!(d.severity, Severity::Warning);
        assert!(d.message.contains("a bare `true`"), "{}", d.message);
        assert!(
            d.help
                .as_deref()
                .is_some_and(|h| h.contains("{ref, date, by}"))
        );
    }
    // The HSLF-FS 13 § decisions are referenced documents.
    for (rule, edit) in [
        ("HSLF-07", "backup: {retention: {decisionRef: null}}"),
        ("HSLF-09", "restoreTest: {decisionRef: null}"),
    ] {
        let o = run_on(BASE, HSLF, edit);
        assert_eq!(status_of(&o, rule), Some(Status::NotEvidenced), "{rule}");
    }
    // A reference dated in the future is no evidence.
    let o = run_on(
        BASE,
        NIS2,
        "restoreTest: {resultsDocumented: {ref: RT-9, date: @ago(-3), by: QA}}",
    );
    assert!(
        find(&o.diagnostics, "future-evidence-date")
            .is_some_and(|d| d.message.contains("restoreTest.resultsDocumented.date"))
    );
    assert_eq!(status_of(&o, "NIS2-08"), Some(Status::Fail));
    // `false` still fails outright.
    let o = run_on(BASE, NIS2, "restoreTest: {resultsDocumented: false}");
    assert_eq!(status_of(&o, "NIS2-08"), Some(Status::Fail));
}

/// Deviations are risk acceptances: who approved them, when, and until when, within a cap.
#[test]
fn deviations_are_risk_acceptances() {
    let edit = |deviation: &str| {
        format!("backup: {{scope: {{platformConfig: false}}}}\ndeviations: [{deviation}]")
    };
    let full = "{rule: ISO-04, reason: The configuration repository is mirrored outside the cluster., owner: Platform team, approvedBy: CISO, approvedAt: @ago(30), expires: @ago(-100)}";
    let found = run(ISO, &edit(full));
    let d = find(&found, "ISO-04").expect("ISO-04 reported");
    let a = d.accepted.as_ref().expect("accepted");
    assert_eq!(a.approved_by.as_deref(), Some("CISO"));
    assert!(a.approved_at.is_some() && a.expires.is_some());
    assert!(
        find(&found, "deviation-without-expiry").is_none(),
        "{:?}",
        codes(&found)
    );
    assert!(find(&found, "deviation-too-long").is_none());

    // An older entry still accepts, with a warning naming what it lacks.
    let old = "{rule: ISO-04, reason: The configuration repository is mirrored outside the cluster., owner: CISO}";
    let found = run(ISO, &edit(old));
    assert!(find(&found, "ISO-04").is_some_and(|d| d.accepted.is_some()));
    let w = find(&found, "deviation-without-expiry").expect("warned");
    assert_eq!(w.severity, Severity::Warning);
    assert!(
        w.message.contains("`approvedBy`, `approvedAt`, `expires`"),
        "{}",
        w.message
    );

    // Longer than the cap (365 days by default, configurable).
    let long = "{rule: ISO-04, reason: The configuration repository is mirrored outside the cluster., owner: Platform team, approvedBy: CISO, approvedAt: @ago(10), expires: @ago(-400)}";
    let found = run(ISO, &edit(long));
    assert!(
        find(&found, "deviation-too-long")
            .is_some_and(|d| d.message.contains("410 days") && d.message.contains("cap of 365"))
    );
    let found = run(
        ISO,
        &format!("{}\ndocumentation: {{deviationMaxDays: 500}}", edit(long)),
    );
    assert!(find(&found, "deviation-too-long").is_none());

    // Expired: the deviation no longer accepts the warning.
    let expired = "{rule: ISO-04, reason: The configuration repository is mirrored outside the cluster., owner: Platform team, approvedBy: CISO, approvedAt: @ago(200), expires: @ago(1)}";
    let found = run(ISO, &edit(expired));
    assert!(find(&found, "deviation-expired").is_some());
    assert!(find(&found, "ISO-04").is_some_and(|d| d.accepted.is_none()));

    // Approved in the future: no evidence.
    let future = "{rule: ISO-04, reason: The configuration repository is mirrored outside the cluster., owner: Platform team, approvedBy: CISO, approvedAt: @ago(-5), expires: @ago(-100)}";
    let found = run(ISO, &edit(future));
    assert!(find(&found, "future-evidence-date").is_some_and(|d| d.severity == Severity::Error));
}
