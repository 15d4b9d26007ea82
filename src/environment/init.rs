//! `init NAME`: a new, valid, commented environment file to start from.

use crate::environment::model::{Engine, Role};

/// What the new environment should look like.
#[derive(Clone, Debug)]
pub struct InitOptions<'a> {
    pub name: &'a str,
    pub role: Role,
    pub provider: Provider,
    pub engine: Engine,
    pub compliance: &'a [String],
}

/// The infrastructure providers `init --provider` has a preset for (`cluster.provider`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Provider {
    Aws,
    Azure,
    Baremetal,
    Citycloud,
    Elastx,
    Exoscale,
    Gcp,
    Openstack,
    Safespring,
    Upcloud,
    Other,
}

impl Provider {
    /// The spelling in the environment file.
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Aws => "aws",
            Provider::Azure => "azure",
            Provider::Baremetal => "baremetal",
            Provider::Citycloud => "citycloud",
            Provider::Elastx => "elastx",
            Provider::Exoscale => "exoscale",
            Provider::Gcp => "gcp",
            Provider::Openstack => "openstack",
            Provider::Safespring => "safespring",
            Provider::Upcloud => "upcloud",
            Provider::Other => "other",
        }
    }
}

struct Preset {
    storage: &'static str,
    region: &'static str,
    /// The country of the bucket's region (GDPR-09 needs it; `None`: a placeholder region).
    country: Option<&'static str>,
    endpoint: Option<&'static str>,
    path_style: bool,
}

fn preset(provider: Provider) -> Preset {
    match provider {
        Provider::Safespring => Preset {
            storage: "s3",
            region: "sto1",
            country: Some("SE"),
            endpoint: Some("https://s3.sto1.safedc.net"),
            path_style: true,
        },
        Provider::Elastx => Preset {
            storage: "s3",
            region: "se-sto",
            country: Some("SE"),
            endpoint: Some("https://swift.elastx.cloud"),
            path_style: true,
        },
        Provider::Citycloud => Preset {
            storage: "s3",
            region: "sto2",
            country: Some("SE"),
            endpoint: Some("https://s3-sto2.citycloud.com"),
            path_style: true,
        },
        Provider::Exoscale => Preset {
            storage: "s3",
            region: "ch-gva-2",
            country: Some("CH"),
            endpoint: Some("https://sos-ch-gva-2.exo.io"),
            path_style: false,
        },
        Provider::Upcloud => Preset {
            storage: "s3",
            region: "europe-1",
            country: Some("FI"),
            endpoint: Some("https://europe-1.upcloudobjects.com"),
            path_style: true,
        },
        Provider::Aws => Preset {
            storage: "s3",
            region: "eu-north-1",
            country: Some("SE"),
            endpoint: None,
            path_style: false,
        },
        Provider::Azure => Preset {
            storage: "azure",
            region: "swedencentral",
            country: Some("SE"),
            endpoint: None,
            path_style: false,
        },
        Provider::Gcp => Preset {
            storage: "gcs",
            region: "europe-north1",
            country: Some("FI"),
            endpoint: None,
            path_style: false,
        },
        Provider::Baremetal | Provider::Openstack | Provider::Other => Preset {
            storage: "s3",
            region: "region-1",
            country: None,
            endpoint: Some("https://s3.example.org"),
            path_style: true,
        },
    }
}

/// The text of a new environment file. Values are plain DNS names and enum words, validated
/// by the caller's parser; nothing user-supplied is interpolated unchecked.
pub fn environment_text(o: &InitOptions<'_>) -> String {
    let p = preset(o.provider);
    let mut t = String::new();
    t.push_str("# yaml-language-server: $schema=../schemas/editor.schema.json\n");
    t.push_str(&format!(
        "# Environment `{}`, created by `ck8s-gen init`. Reference: `ck8s-gen explain KEY`.\n",
        o.name
    ));
    t.push_str("# Values not set here come from common.yaml, then from the built-in CK8S defaults (`ck8s-gen defaults`).\n");
    t.push_str("apiVersion: ck8s-gen/v1\nkind: Environment\nmetadata:\n");
    t.push_str(&format!("  name: {}\n", o.name));
    t.push_str(&format!("cluster:\n  role: {}  # workload | management\n  provider: {}\n  region: {}\n  site: {}-a  # the data centre; off-site copies go elsewhere\n", o.role.as_str(), o.provider.as_str(), p.region, p.region));
    if o.compliance.is_empty() {
        t.push_str(
            "# compliance: [gdpr-art-17, iso-27001-a.12.3.1]  # see `ck8s-gen regulations list`\n",
        );
    } else {
        t.push_str("compliance:\n");
        for c in o.compliance {
            // Quoted: a value from the command line never starts a second line or document.
            t.push_str(&format!(
                "  - {}\n",
                serde_json::to_string(c).unwrap_or_else(|_| "\"\"".to_owned())
            ));
        }
    }
    t.push_str("backup:\n  schedule: \"0 0 * * *\"  # daily at 00:00 UTC (CK8S default)\n  retention:\n    ttl: 720h  # 30 days; Go duration: write hours, not days\n");
    t.push_str(&format!(
        "storage:\n  provider: {}\n  bucket: {}-velero\n",
        p.storage, o.name
    ));
    if p.storage == "s3" {
        t.push_str(&format!("  region: {}\n", p.region));
    }
    if let Some(endpoint) = p.endpoint {
        t.push_str(&format!("  endpoint: {endpoint}\n"));
    }
    match p.country {
        Some(country) => t.push_str(&format!(
            "  jurisdiction: {country}  # the bucket's country (ISO 3166-1), for GDPR Art. 44\n"
        )),
        None => t.push_str(
            "  jurisdiction: SE  # placeholder: the country where the bucket really is (ISO 3166-1)\n",
        ),
    }
    if p.path_style {
        t.push_str("  forcePathStyle: true\n");
    }
    match p.storage {
        "azure" => {
            let account: String = format!("{}velero", o.name)
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .take(24)
                .collect();
            t.push_str(&format!(
                "  azure:\n    resourceGroup: {}-storage\n    storageAccount: {}\n",
                o.name, account
            ));
        }
        "gcs" => t.push_str("  gcs:\n    project: my-gcp-project\n"),
        _ => {}
    }
    t.push_str("  credentials:  # a Secret in the velero namespace; never put keys in this file\n    secretName: velero-credentials\n    key: cloud\n");
    t.push_str("replication:\n  offsite:\n    enabled: false  # set true with a destination at another site (and managedBy for workload clusters)\n");
    t.push_str(&format!(
        "gitops:\n  engine: {}  # flux | argocd\n",
        o.engine.as_str()
    ));
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_is_yaml_with_the_schema_line() {
        for provider in [
            Provider::Safespring,
            Provider::Aws,
            Provider::Azure,
            Provider::Gcp,
            Provider::Other,
        ] {
            let text = environment_text(&InitOptions {
                name: "dev-x",
                role: Role::Workload,
                provider,
                engine: Engine::Flux,
                compliance: &[],
            });
            assert!(text.starts_with("# yaml-language-server: $schema="));
            let value = crate::yaml::documents(&text).unwrap().remove(0);
            assert_eq!(value["metadata"]["name"], "dev-x");
        }
    }
}
