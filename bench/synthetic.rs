//! Synthetic but realistic fleets for the benchmark: workload clusters on several providers,
//! one management cluster per group of 25 that runs their off-site replication, dev / staging /
//! prod tiers with different schedules, retention, compliance profiles and extra tiers.
//! Shared by `benches/fleet.rs` and `examples/gen-fleet.rs` (`#[path]` module).

#![allow(dead_code)]

use std::fmt::Write as _;
use std::path::Path;

/// Environments per management cluster.
pub const GROUP: usize = 25;

pub struct Fleet {
    /// `common.yaml`.
    pub common: String,
    /// `(file name, text)`, in file-name order.
    pub environments: Vec<(String, String)>,
}

struct Provider {
    name: &'static str,
    storage: &'static str,
    region: &'static str,
    site: &'static str,
    jurisdiction: &'static str,
    endpoint: Option<&'static str>,
    offsite_region: &'static str,
    offsite_site: &'static str,
    offsite_endpoint: Option<&'static str>,
}

const PROVIDERS: &[Provider] = &[
    Provider {
        name: "safespring",
        storage: "s3",
        region: "sto1",
        site: "sto1-a",
        jurisdiction: "SE",
        endpoint: Some("https://s3.sto1.safedc.net"),
        offsite_region: "sto2",
        offsite_site: "sto2-a",
        offsite_endpoint: Some("https://s3.sto2.safedc.net"),
    },
    Provider {
        name: "elastx",
        storage: "s3",
        region: "se-sto",
        site: "sto-1",
        jurisdiction: "SE",
        endpoint: Some("https://s3.sto1.elastx.cloud"),
        offsite_region: "se-sto-2",
        offsite_site: "sto-2",
        offsite_endpoint: Some("https://s3.sto2.elastx.cloud"),
    },
    Provider {
        name: "citycloud",
        storage: "s3",
        region: "kna1",
        site: "kna1",
        jurisdiction: "SE",
        endpoint: Some("https://s3-kna1.citycloud.com"),
        offsite_region: "fra1",
        offsite_site: "fra1",
        offsite_endpoint: Some("https://s3-fra1.citycloud.com"),
    },
    Provider {
        name: "upcloud",
        storage: "s3",
        region: "fi-hel2",
        site: "fi-hel2",
        jurisdiction: "FI",
        endpoint: Some("https://fleet.fi-hel2.upcloudobjects.com"),
        offsite_region: "de-fra1",
        offsite_site: "de-fra1",
        offsite_endpoint: Some("https://fleet.de-fra1.upcloudobjects.com"),
    },
    Provider {
        name: "exoscale",
        storage: "s3",
        region: "ch-gva-2",
        site: "ch-gva-2",
        jurisdiction: "CH",
        endpoint: Some("https://sos-ch-gva-2.exo.io"),
        offsite_region: "ch-dk-2",
        offsite_site: "ch-dk-2",
        offsite_endpoint: Some("https://sos-ch-dk-2.exo.io"),
    },
    Provider {
        name: "aws",
        storage: "s3",
        region: "eu-north-1",
        site: "eu-north-1a",
        jurisdiction: "SE",
        endpoint: None,
        offsite_region: "eu-central-1",
        offsite_site: "eu-central-1a",
        offsite_endpoint: None,
    },
    Provider {
        name: "gcp",
        storage: "gcs",
        region: "europe-north1",
        site: "europe-north1-a",
        jurisdiction: "FI",
        endpoint: None,
        offsite_region: "europe-west3",
        offsite_site: "europe-west3-a",
        offsite_endpoint: None,
    },
    Provider {
        name: "azure",
        storage: "azure",
        region: "swedencentral",
        site: "swedencentral-1",
        jurisdiction: "SE",
        endpoint: None,
        offsite_region: "germanywestcentral",
        offsite_site: "germanywestcentral-1",
        offsite_endpoint: None,
    },
];

const COMMON: &str = "\
# Shared settings for every environment of the synthetic fleet.
apiVersion: ck8s-gen/v1
kind: Defaults
gitops:
  engine: flux
  repository:
    url: https://git.example.org/platform/welkin-gitops.git
    revision: main
    renderedPath: rendered
backup:
  scope:
    # The platform configuration lives in a replicated Git service.
    platformConfig: true
documentation:
  policyRef: https://docs.example.org/isms/backup-policy
  owner: Head of Platform Operations
  restoreProcedureRef: https://docs.example.org/runbooks/velero-restore
  restoreApproval: true
  erasureProcedureRef: https://docs.example.org/runbooks/gdpr-erasure-replay
  retentionYears: 6
  dataMapIncludesBackups: true
";

/// The name of environment `i`.
pub fn name(i: usize) -> String {
    let p = &PROVIDERS[provider_index(i)];
    if is_management(i) {
        format!("mgmt-{}-g{:04}", p.name, i / GROUP)
    } else {
        format!("{}-{}-{:05}", tier(i), p.name, i)
    }
}

fn provider_index(i: usize) -> usize {
    // A whole group (its management cluster and workloads) lives at one provider.
    (i / GROUP) % PROVIDERS.len()
}

fn is_management(i: usize) -> bool {
    i.is_multiple_of(GROUP) && i > 0
}

fn tier(i: usize) -> &'static str {
    match i % 5 {
        0 => "dev",
        1 => "staging",
        _ => "prod",
    }
}

fn storage(out: &mut String, p: &Provider, bucket: &str, prefix: Option<&str>) {
    let _ = writeln!(
        out,
        "storage:\n  provider: {}\n  bucket: {bucket}",
        p.storage
    );
    if let Some(prefix) = prefix {
        let _ = writeln!(out, "  prefix: {prefix}");
    }
    let _ = writeln!(out, "  region: {}", p.region);
    if let Some(endpoint) = p.endpoint {
        let _ = writeln!(out, "  endpoint: {endpoint}\n  forcePathStyle: true");
    }
    let _ = writeln!(
        out,
        "  site: {}\n  jurisdiction: {}",
        p.site, p.jurisdiction
    );
    if p.storage == "azure" {
        let _ = writeln!(
            out,
            "  azure:\n    storageAccount: fleetbackups\n    resourceGroup: rg-velero"
        );
    }
    let _ = writeln!(
        out,
        "  credentials:\n    secretName: velero-credentials\n    key: cloud"
    );
}

/// The text of environment `i`.
pub fn environment(i: usize) -> String {
    let p = &PROVIDERS[provider_index(i)];
    let name = name(i);
    let management = is_management(i);
    let tier = if management { "prod" } else { tier(i) };
    let mut out = String::with_capacity(2048);
    let _ = writeln!(
        out,
        "# yaml-language-server: $schema=../schemas/environment.schema.json\n\
         # Synthetic environment {i}: a {tier} {} cluster at {}.\n\
         apiVersion: ck8s-gen/v1\nkind: Environment\nmetadata:\n  name: {name}\n  \
         description: Synthetic {tier} cluster {i}\n  labels:\n    tier: {tier}\n    \
         provider: {}\n    group: g{:04}",
        if management { "management" } else { "workload" },
        p.name,
        p.name,
        i / GROUP
    );
    let _ = writeln!(
        out,
        "cluster:\n  role: {}\n  provider: {}\n  region: {}\n  site: {}\n  jurisdiction: {}",
        if management { "management" } else { "workload" },
        p.name,
        p.region,
        p.site,
        p.jurisdiction
    );
    match (management, tier) {
        (true, _) => out.push_str("compliance:\n  - iso-27001-a.12.3.1\n"),
        (false, "prod") if i.is_multiple_of(3) => out.push_str(
            "compliance:\n  - gdpr-art-17\n  - hslf-fs-2016-40\n  - iso-27001-a.12.3.1\n",
        ),
        (false, "prod") => out.push_str("compliance:\n  - gdpr-art-17\n  - iso-27001-a.12.3.1\n"),
        _ => {}
    }
    // Schedules and retention by tier; prod adds weekly and monthly tiers.
    let (schedule, ttl) = match tier {
        "dev" => ("0 0 * * *", "168h"),
        "staging" => ("0 */12 * * *", "336h"),
        _ => ("0 0 * * *", "720h"),
    };
    let _ = writeln!(
        out,
        "backup:\n  schedule: \"{schedule}\"\n  retention:\n    ttl: {ttl}"
    );
    if tier == "prod" {
        out.push_str(
            "    minDays: 30\n    decidedBy: Chief Information Security Officer\n    \
             decidedAt: 2026-03-01\n    justification: Risk analysis RA-2026-04.\n  \
             rpoHours: 24\n  rtoHours: 8\n",
        );
        if !management && i.is_multiple_of(2) {
            out.push_str(
                "  tiers:\n    - name: weekly\n      schedule: \"0 2 * * 0\"\n      ttl: 2160h\n",
            );
        }
    }
    if !management && i % 7 == 3 {
        let _ = writeln!(
            out,
            "  scope:\n    extraExcludedNamespaces:\n      - scratch-{i}\n    \
             exclusionJustification: Throw-away test deployments only."
        );
    }
    // Half the workloads share their group's bucket, each under its own prefix.
    let shared = !management && i % 2 == 1;
    let group_bucket = format!("fleet-g{:04}-velero", i / GROUP);
    if shared {
        storage(&mut out, p, &group_bucket, Some(&name));
    } else {
        storage(&mut out, p, &format!("{name}-velero"), None);
    }
    let offsite = tier == "prod" && (management || i >= GROUP);
    if offsite {
        let _ = writeln!(out, "replication:\n  offsite:\n    enabled: true");
        if !management {
            let _ = writeln!(out, "    managedBy: {}", name_of_manager(i));
        }
        let _ = writeln!(
            out,
            "    destination:\n      provider: {}\n      region: {}\n      site: {}\n      \
             jurisdiction: {}\n      bucket: {name}-offsite",
            p.storage, p.offsite_region, p.offsite_site, p.jurisdiction
        );
        if let Some(endpoint) = p.offsite_endpoint {
            let _ = writeln!(
                out,
                "      endpoint: {endpoint}\n      forcePathStyle: true"
            );
        }
        if p.storage == "azure" {
            let _ = writeln!(out, "      azure:\n        storageAccount: fleetoffsite");
        }
        out.push_str(
            "      credentials:\n        secretName: rclone-offsite-credentials\n    \
             encrypt:\n      enabled: true\n      fileNames: true\n      directoryNames: true\n      \
             secretName: rclone-crypt\n    objectLock:\n      enabled: true\n      mode: compliance\n      \
             days: 30\n    versioning: true\n    retentionDays: 30\n    \
             credentialsSeparate: true\n    initiatedFrom: outside-cluster\n    contractInPlace: true\n",
        );
    }
    if tier == "prod" {
        // A management cluster's backup holds the user Grafana in `monitoring`: test that.
        let tested = if management { "monitoring" } else { "apps" };
        let _ = writeln!(
            out,
            "restoreTest:\n  frequencyDays: 180\n  decidedBy: Head of Platform Operations\n  \
             basis: risk-analysis\n  riskAnalysisAt: 2026-02-15\n  lastPerformed: 2026-09-10\n  \
             resultsDocumented: true\n  target: segregated\n  namespaces:\n    - {tested}"
        );
    }
    if i % 4 == 2 {
        out.push_str("gitops:\n  engine: argocd\n");
    }
    out
}

fn name_of_manager(i: usize) -> String {
    name((i / GROUP) * GROUP)
}

/// A fleet of `n` environments (`n` ≥ 1).
pub fn fleet(n: usize) -> Fleet {
    let mut environments: Vec<(String, String)> = (0..n)
        .map(|i| (format!("{}.yaml", name(i)), environment(i)))
        .collect();
    environments.sort();
    Fleet {
        common: COMMON.to_owned(),
        environments,
    }
}

/// Write `fleet` as `dir/common.yaml` and `dir/<name>.yaml` (the directory is created).
pub fn write(fleet: &Fleet, dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("common.yaml"), &fleet.common)?;
    for (file, text) in &fleet.environments {
        std::fs::write(dir.join(file), text)?;
    }
    Ok(())
}
