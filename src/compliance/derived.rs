//! Facts the profiles need that are not written in the environment: retention in days, the
//! backup interval, how old the last restore test is, whether the off-site copy is elsewhere.
//! They are added to the instance the rule schemas see as `/derived`, and every derived
//! pointer maps back to the key it comes from, so findings point at the user's file.

use crate::checks::Derived;
use crate::environment::model::{Destination, Environment};
use crate::velero::cron::parse_velero_cron;
use crate::velero::dates::parse_date;
use crate::velero::duration::parse_go_duration;
use serde_json::{Map, Value, json};

/// EU member states plus Iceland, Liechtenstein and Norway (ISO 3166-1 alpha-2; Greece is `GR`).
const EEA: &[&str] = &[
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IS",
    "IT", "LI", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK",
];

/// Countries with an EU adequacy decision (GDPR Art. 45) as of 2026. The United States is
/// left out: its decision covers only certified organisations, so declare the EU-US Data
/// Privacy Framework as the transfer mechanism.
const ADEQUATE: &[&str] = &[
    "AD", "AR", "CA", "CH", "FO", "GB", "GG", "IL", "IM", "JE", "JP", "KR", "NZ", "UY",
];

/// Whether data may go to this country without a declared transfer mechanism.
pub fn adequate(country: &str) -> bool {
    EEA.contains(&country) || ADEQUATE.contains(&country)
}

/// The `/derived` facts computed from today's date. A rule failure reading only these is
/// overdue (see [`crate::diagnostic::Effect::Overdue`]): it never blocks output.
pub const DATED: &[&str] = &[
    "restoreTestAgeDays",
    "restoreTestOverdueDays",
    "restoreTestDueDate",
    "riskAnalysisAgeDays",
    "policyReviewAgeDays",
];

/// Facts about the off-site copy (only when replication is enabled with a destination).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OffsiteFacts {
    pub same_site: Option<bool>,
    pub same_region: Option<bool>,
    pub same_provider: bool,
    pub jurisdiction_adequate: Option<bool>,
    /// Another provider or another (or undeclared) country than the primary bucket.
    pub differs_from_primary: bool,
    /// "another provider (`example.com`)", for messages.
    pub difference: String,
    pub sync_interval_hours: Option<f64>,
}

/// The longest-kept backups: the main schedule or an extra tier.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Longest {
    pub hours: f64,
    pub days: i64,
    /// The `ttl` key it comes from.
    pub pointer: String,
    /// `backups` or "the `monthly` tier's backups", for messages.
    pub what: String,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Facts {
    pub base: Derived,
    /// The longest retention over the main schedule and the extra tiers (the GDPR bound).
    pub longest: Option<Longest>,
    /// The shortest retention over the main schedule and the extra tiers, in hours (what an
    /// object lock must not outlive).
    pub shortest_hours: Option<f64>,
    pub restore_test_age_days: Option<i64>,
    pub restore_test_overdue_days: Option<i64>,
    /// The day the next restore test is due (the last one plus the frequency).
    pub restore_test_due: Option<i64>,
    pub risk_analysis_age_days: Option<i64>,
    pub policy_review_age_days: Option<i64>,
    /// User namespaces left out of the backup, with the pointer of each entry.
    pub user_exclusions: Vec<(String, String)>,
    /// The primary bucket's country: `storage.jurisdiction`, or the cluster's when the bucket
    /// is declared in the cluster's own region.
    pub storage_jurisdiction: Option<String>,
    pub storage_jurisdiction_adequate: Option<bool>,
    /// The primary bucket is run by a third party (unless `storage.selfOperated: true`).
    pub primary_third_party: bool,
    /// The off-site copy is enabled and run by a third party (unless
    /// `replication.offsite.selfOperated: true`).
    pub offsite_third_party: bool,
    /// The primary bucket's provider encrypts every object at rest whatever is configured
    /// (AWS S3, Azure Storage, Google Cloud Storage), so the built-in default holds.
    pub provider_encrypts_at_rest: bool,
    pub offsite: Option<OffsiteFacts>,
}

impl Facts {
    /// `curated` is the built-in list of system namespaces, which are not user exclusions.
    pub fn of(env: &Environment, curated: &[String], today: i64) -> Facts {
        let age = |date: Option<&String>| date.and_then(|d| parse_date(d)).map(|d| today - d);
        let test = env.restore_test.as_ref();
        let last = test
            .and_then(|t| t.last_performed.as_deref())
            .and_then(parse_date);
        let restore_test_age_days = last.map(|d| today - d);
        let frequency = test.and_then(|t| t.frequency_days);
        let restore_test_due = last.zip(frequency).map(|(d, f)| d + i64::from(f));
        let scope = &env.backup.scope;
        let mut user_exclusions: Vec<(String, String)> = scope
            .excluded_namespaces
            .iter()
            .enumerate()
            .filter(|(_, ns)| !curated.contains(ns))
            .map(|(i, ns)| (format!("/backup/scope/excludedNamespaces/{i}"), ns.clone()))
            .collect();
        for (i, ns) in scope.extra_excluded_namespaces.iter().enumerate() {
            if !user_exclusions.iter().any(|(_, n)| n == ns) && !curated.contains(ns) {
                user_exclusions.push((
                    format!("/backup/scope/extraExcludedNamespaces/{i}"),
                    ns.clone(),
                ));
            }
        }
        let base = Derived::of(env);
        let mut retentions: Vec<Longest> = Vec::new();
        if let (Some(hours), Some(days)) = (base.retention_hours, base.retention_days) {
            retentions.push(Longest {
                hours,
                days,
                pointer: "/backup/retention/ttl".to_owned(),
                what: "backups".to_owned(),
            });
        }
        for (i, tier) in env.backup.tiers.iter().enumerate() {
            if let Ok(ttl) = parse_go_duration(&tier.ttl) {
                retentions.push(Longest {
                    hours: ttl.as_hours_f64(),
                    days: ttl.whole_days(),
                    pointer: format!("/backup/tiers/{i}/ttl"),
                    what: format!("the `{}` tier's backups", tier.name),
                });
            }
        }
        let shortest_hours = retentions.iter().map(|r| r.hours).reduce(f64::min);
        let longest = retentions
            .into_iter()
            .reduce(|best, r| if r.hours > best.hours { r } else { best });
        Facts {
            base,
            longest,
            shortest_hours,
            restore_test_age_days,
            restore_test_overdue_days: restore_test_due.map(|due| today - due),
            restore_test_due,
            risk_analysis_age_days: age(test.and_then(|t| t.risk_analysis_at.as_ref())),
            policy_review_age_days: age(env.documentation.reviewed_at.as_ref()),
            user_exclusions,
            storage_jurisdiction_adequate: storage_jurisdiction(env).as_deref().map(adequate),
            storage_jurisdiction: storage_jurisdiction(env),
            primary_third_party: env.storage.self_operated != Some(true),
            offsite_third_party: env.replication.offsite.enabled
                && env.replication.offsite.self_operated != Some(true),
            provider_encrypts_at_rest: provider_encrypts_at_rest(env),
            offsite: offsite_facts(env),
        }
    }

    /// The `/derived` object; unknown facts are left out so schemas skip them.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        let mut put = |k: &str, v: Option<Value>| {
            if let Some(v) = v {
                m.insert(k.to_owned(), v);
            }
        };
        put("retentionDays", self.base.retention_days.map(Value::from));
        put("retentionHours", self.base.retention_hours.map(number));
        put("intervalHours", self.base.interval_hours.map(number));
        if let Some(l) = &self.longest {
            put("longestRetentionHours", Some(number(l.hours)));
            put("longestRetentionDays", Some(Value::from(l.days)));
            put(
                "longestRetentionPointer",
                Some(Value::from(l.pointer.clone())),
            );
            put("longestRetentionWhat", Some(Value::from(l.what.clone())));
        }
        put(
            "generations",
            self.base
                .generations
                .map(|g| number((g * 100.0).floor() / 100.0)),
        );
        put(
            "restoreTestAgeDays",
            self.restore_test_age_days.map(Value::from),
        );
        put(
            "restoreTestOverdueDays",
            self.restore_test_overdue_days.map(Value::from),
        );
        put(
            "restoreTestDueDate",
            self.restore_test_due
                .map(|d| Value::from(crate::velero::dates::format_date(d))),
        );
        put(
            "riskAnalysisAgeDays",
            self.risk_analysis_age_days.map(Value::from),
        );
        put(
            "policyReviewAgeDays",
            self.policy_review_age_days.map(Value::from),
        );
        put(
            "userExclusions",
            Some(Value::from(
                self.user_exclusions
                    .iter()
                    .map(|(_, ns)| ns.clone())
                    .collect::<Vec<_>>(),
            )),
        );
        put(
            "userExclusionsText",
            Some(Value::from(
                self.user_exclusions
                    .iter()
                    .map(|(_, ns)| format!("`{ns}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
            )),
        );
        put(
            "storageJurisdictionAdequate",
            self.storage_jurisdiction_adequate.map(Value::from),
        );
        put(
            "storageJurisdictionKnown",
            Some(Value::from(self.storage_jurisdiction.is_some())),
        );
        put(
            "storageJurisdiction",
            self.storage_jurisdiction.clone().map(Value::from),
        );
        put(
            "primaryThirdParty",
            Some(Value::from(self.primary_third_party)),
        );
        put(
            "offsiteThirdParty",
            Some(Value::from(self.offsite_third_party)),
        );
        if let Some(o) = &self.offsite {
            let mut om = Map::new();
            let mut oput = |k: &str, v: Option<Value>| {
                if let Some(v) = v {
                    om.insert(k.to_owned(), v);
                }
            };
            oput("sameSite", o.same_site.map(Value::from));
            oput("sameRegion", o.same_region.map(Value::from));
            oput("sameProvider", Some(Value::from(o.same_provider)));
            oput(
                "jurisdictionAdequate",
                o.jurisdiction_adequate.map(Value::from),
            );
            oput(
                "differsFromPrimary",
                Some(Value::from(o.differs_from_primary)),
            );
            oput("differenceText", Some(Value::from(o.difference.clone())));
            oput("syncIntervalHours", o.sync_interval_hours.map(number));
            put("offsite", Some(Value::Object(om)));
        }
        Value::Object(m)
    }
}

fn number(f: f64) -> Value {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        json!(f as i64)
    } else {
        json!(f)
    }
}

/// The primary bucket's country: declared, or the cluster's when both declare the same region.
fn storage_jurisdiction(env: &Environment) -> Option<String> {
    if let Some(j) = &env.storage.jurisdiction {
        return Some(j.clone());
    }
    match (
        &env.storage.region,
        &env.cluster.region,
        &env.cluster.jurisdiction,
    ) {
        (Some(a), Some(b), Some(j)) if a == b => Some(j.clone()),
        _ => None,
    }
}

/// AWS S3 (no endpoint, or an `amazonaws.com` one), Azure Storage and Google Cloud Storage
/// encrypt every object at rest; other S3-compatible and Swift providers may not.
fn provider_encrypts_at_rest(env: &Environment) -> bool {
    use crate::environment::model::StorageProvider;
    match env.storage.provider {
        StorageProvider::Azure | StorageProvider::Gcs => true,
        StorageProvider::S3 => {
            env.storage.endpoint.is_none()
                || provider_domain(env.storage.endpoint.as_deref()).as_deref()
                    == Some("amazonaws.com")
        }
        StorageProvider::Swift => false,
    }
}

/// `s3.sto1.safedc.net` → `safedc.net`: who runs an endpoint.
fn provider_domain(endpoint: Option<&str>) -> Option<String> {
    let rest = endpoint?.split("://").nth(1)?;
    let host = rest.split(['/', ':']).next()?;
    let labels: Vec<&str> = host.split('.').filter(|l| !l.is_empty()).collect();
    match labels.len() {
        0 => None,
        1 => Some(labels[0].to_owned()),
        n => Some(format!("{}.{}", labels[n - 2], labels[n - 1])),
    }
}

fn offsite_facts(env: &Environment) -> Option<OffsiteFacts> {
    let o = &env.replication.offsite;
    if !o.enabled {
        return None;
    }
    let d: &Destination = o.destination.as_ref()?;
    let c = &env.cluster;
    let both = |a: &Option<String>, b: &Option<String>| match (a, b) {
        (Some(a), Some(b)) => Some(a == b),
        _ => None,
    };
    let primary_domain = provider_domain(env.storage.endpoint.as_deref());
    let dest_domain = provider_domain(d.endpoint.as_deref());
    let same_provider = match (&primary_domain, &dest_domain) {
        (Some(a), Some(b)) => a == b,
        (None, None) => env.storage.provider == d.provider,
        _ => false,
    };
    let primary_country = env
        .storage
        .jurisdiction
        .as_ref()
        .or(c.jurisdiction.as_ref());
    let country_differs = match (primary_country, &d.jurisdiction) {
        (Some(a), Some(b)) => a != b,
        _ => true,
    };
    let mut difference = Vec::new();
    if !same_provider {
        difference.push(format!(
            "another provider (`{}`)",
            dest_domain.unwrap_or_else(|| d.provider.as_str().to_owned())
        ));
    }
    if country_differs {
        difference.push(match &d.jurisdiction {
            Some(j) => format!("another country (`{j}`)"),
            None => "an undeclared country".to_owned(),
        });
    }
    Some(OffsiteFacts {
        same_site: both(&d.site, &c.site),
        same_region: both(&d.region, &c.region),
        same_provider,
        jurisdiction_adequate: d.jurisdiction.as_deref().map(adequate),
        differs_from_primary: !same_provider || country_differs,
        difference: difference.join(" and "),
        sync_interval_hours: o
            .schedule
            .as_deref()
            .and_then(|s| parse_velero_cron(s).ok())
            .map(|s| s.max_interval_hours()),
    })
}

/// The environment key a `/derived/...` pointer comes from (`derived` is the `/derived`
/// object, which knows where the longest retention is); other pointers are returned as is.
pub fn source_pointer<'a>(pointer: &'a str, derived: &'a Value) -> &'a str {
    let Some(rest) = pointer.strip_prefix("/derived") else {
        return pointer;
    };
    match rest.split('/').nth(1).unwrap_or("") {
        "longestRetentionHours" | "longestRetentionDays" | "longestRetentionWhat" => derived
            .get("longestRetentionPointer")
            .and_then(Value::as_str)
            .unwrap_or("/backup/retention/ttl"),
        "retentionDays" | "retentionHours" | "generations" => "/backup/retention/ttl",
        "intervalHours" => "/backup/schedule",
        "restoreTestAgeDays" | "restoreTestOverdueDays" | "restoreTestDueDate" => {
            "/restoreTest/lastPerformed"
        }
        "riskAnalysisAgeDays" => "/restoreTest/riskAnalysisAt",
        "policyReviewAgeDays" => "/documentation/reviewedAt",
        "userExclusions" | "userExclusionsText" => "/backup/scope/extraExcludedNamespaces",
        "storageJurisdictionAdequate" | "storageJurisdictionKnown" | "storageJurisdiction" => {
            "/storage/jurisdiction"
        }
        "primaryThirdParty" => "/storage/selfOperated",
        "offsiteThirdParty" => "/replication/offsite/selfOperated",
        "offsite" => match rest.split('/').nth(2).unwrap_or("") {
            "sameSite" => "/replication/offsite/destination/site",
            "sameRegion" => "/replication/offsite/destination/region",
            "sameProvider" => "/replication/offsite/destination/endpoint",
            "jurisdictionAdequate" => "/replication/offsite/destination/jurisdiction",
            "syncIntervalHours" => "/replication/offsite/schedule",
            _ => "/replication/offsite/destination",
        },
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jurisdictions() {
        assert!(adequate("SE") && adequate("NO") && adequate("CH") && adequate("GB"));
        assert!(!adequate("US") && !adequate("CN") && !adequate("IN"));
    }

    #[test]
    fn provider_domains() {
        assert_eq!(
            provider_domain(Some("https://s3.sto1.safedc.net")).as_deref(),
            Some("safedc.net")
        );
        assert_eq!(
            provider_domain(Some("https://s3.eu-north-1.amazonaws.com:443/x")).as_deref(),
            Some("amazonaws.com")
        );
        assert_eq!(provider_domain(None), None);
    }

    #[test]
    fn derived_pointers_map_to_their_keys() {
        let derived = json!({"longestRetentionPointer": "/backup/tiers/1/ttl"});
        let at = |p| source_pointer(p, &derived);
        assert_eq!(at("/derived/retentionDays"), "/backup/retention/ttl");
        assert_eq!(at("/derived/longestRetentionHours"), "/backup/tiers/1/ttl");
        assert_eq!(
            at("/derived/offsite/jurisdictionAdequate"),
            "/replication/offsite/destination/jurisdiction"
        );
        assert_eq!(at("/backup/schedule"), "/backup/schedule");
        assert_eq!(at("/derived/unknown"), "");
    }
}
