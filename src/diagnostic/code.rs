//! The one list of diagnostic codes: every code ck8s-gen emits, its kebab-case name and a
//! one-line description, plus the place a regulatory rule's id (catalogue data) takes.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What a finding is. The names are the variants in kebab case (`Code::UnknownKey` is
/// `unknown-key`); the doc comment on each variant is its description (the README's table of
/// codes says the same). A regulatory rule's finding carries the rule's id, as written in
/// `schemas/regulations/*.json`, in [`Code::Rule`].
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, strum::AsRefStr, strum::EnumIter, strum::EnumMessage,
)]
#[strum(serialize_all = "kebab-case")]
pub enum Code {
    // Unreadable input.
    /// The YAML does not parse (syntax, tabs, more than one document).
    InvalidYaml,
    /// A key appears twice in one mapping.
    DuplicateKey,
    /// The document exceeds the limits on nodes, aliases or nesting depth.
    YamlTooComplex,
    /// The file holds no YAML document.
    EmptyFile,
    /// The file is binary (it has a NUL byte).
    BinaryFile,
    /// The file is not valid UTF-8.
    InvalidUtf8,
    /// The file is larger than the limit on input files.
    FileTooLarge,
    /// The document is not a mapping with `apiVersion` and `kind`.
    NotAMapping,
    /// The document has a `kind` other than the one expected.
    WrongKind,

    // Structure (the JSON Schema).
    /// A key the schema does not know (with a did-you-mean).
    UnknownKey,
    /// A required key is absent.
    MissingKey,
    /// A value of the wrong type.
    WrongType,
    /// A value the schema does not allow.
    InvalidValue,
    /// A value that must be a date is not one.
    InvalidDate,
    /// The schema accepted the environment but the typed model did not (a bug in ck8s-gen).
    InternalModelMismatch,

    // Values a consumer parses further than the schema can say.
    /// A `gitops.repository.revision` git would read as an option or refuse.
    InvalidGitRevision,
    /// A `storage.prefix` with an empty, `.` or `..` segment.
    InvalidPrefixPath,
    /// A `gitops.repository.renderedPath` that is absolute or leaves the repository.
    InvalidRenderedPath,
    /// A toleration or node-selector key or value that is no Kubernetes label key or value.
    InvalidLabelSyntax,

    // Schedules and retention.
    /// A schedule Velero (robfig/cron `ParseStandard`) would reject.
    InvalidCron,
    /// A TTL that is not a positive Go duration.
    InvalidDuration,
    /// Backups expire before the next one is taken.
    TtlShorterThanInterval,
    /// Only one backup generation exists at a time.
    SingleGeneration,
    /// Two retention tiers share a name (or one takes the main schedule's `daily`).
    DuplicateTier,
    /// The TTL is shorter than the decided `minDays`.
    RetentionBelowMinimum,

    // Object lock.
    /// Object lock keeps objects longer than the retention, which blocks deletion.
    ObjectLockOutlivesRetention,
    /// Object lock is enabled without a lock period.
    ObjectLockDaysMissing,

    // Secrets.
    /// Something that looks like a credential in the file (the value is never printed).
    InlineSecret,

    // Provider settings.
    /// Velero cannot write backups to Swift.
    SwiftNotSupported,
    /// A bucket or destination without credentials.
    CredentialsMissing,
    /// An S3-compatible endpoint without an explicit region.
    RegionRequired,
    /// A plain `http://` endpoint where encryption in transit is declared.
    PlaintextEndpoint,
    /// Azure storage without its storage account or resource group.
    AzureSettingsMissing,
    /// The declared encryption at rest does not match what the provider or settings do.
    EncryptionMismatch,
    /// A setting that has no effect with the other settings.
    UnusedSetting,

    // Off-site replication.
    /// Off-site replication is enabled without a destination.
    OffsiteDestinationMissing,
    /// The off-site destination is the primary bucket.
    OffsiteSameAsPrimary,
    /// The off-site copy is at the cluster's own site.
    OffsiteSameSite,
    /// Off-site replication would run inside the cluster it protects.
    OffsiteFromWorkloadCluster,
    /// Off-site replication of a workload cluster without the management environment that runs it.
    OffsiteNeedsManagementCluster,
    /// Encrypted directory names without encrypted file names.
    CryptDirectoryNamesNeedFileNames,
    /// Client-side encryption without the Secret holding its password and salt.
    CryptSecretMissing,
    /// Object lock with `versioning: false`, which S3 cannot do.
    OffsiteLockNeedsVersioning,
    /// A versioned off-site bucket that keeps non-current versions for ever.
    OffsiteVersionsWithoutExpiry,
    /// `mode: copy` without an expiry keeps deleted backups off-site for ever.
    OffsiteCopyWithoutExpiry,

    // Backup scope.
    /// A namespace excluded that the backup leaves out anyway.
    RedundantExclusion,
    /// CSI snapshots without the data mover stay on the cluster's own storage.
    SnapshotIsNotABackup,

    // Chart values and GitOps.
    /// A velero chart version outside the series ck8s-gen renders values for.
    UntestedChartVersion,
    /// A chart source the GitOps engine cannot use (an `oci://` chart with a HelmRepository).
    ChartSourceMismatch,
    /// Argo CD without the URL of the Git repository that holds the rendered tree.
    GitopsRepositoryUrlMissing,
    /// A `chartValues` key the velero chart does not know.
    UnknownChartValue,
    /// A `chartValues` key ck8s-gen sets itself.
    ChartValueOwned,
    /// A `chartValues` value the chart's values.schema.json rejects.
    InvalidChartValue,

    // Restore tests and alerts.
    /// The restore test restores a namespace the backup excludes.
    RestoreTestOfExcludedNamespace,
    /// A restore test's scratch namespace name is longer than 63 characters.
    RestoreTestNamespaceTooLong,
    /// A restore test is declared but not rendered (no frequency or no daily backup).
    RestoreTestNotRendered,
    /// Alerts are on but Velero's metrics are off, so they could never fire.
    AlertsWithoutMetrics,

    // The fleet.
    /// Two environments have the same name.
    DuplicateEnvironment,
    /// Two environments write to the same bucket under the same prefix.
    DuplicateBucketPrefix,
    /// `managedBy` names no management environment.
    UnknownManagementEnvironment,

    // Compliance profiles and deviations.
    /// A `compliance:` id that is no profile (with a did-you-mean).
    UnknownProfile,
    /// Evidence dated after today.
    FutureEvidenceDate,
    /// A deviation from an error-level rule, which cannot be accepted.
    DeviationNotAllowed,
    /// A deviation without a complete risk acceptance (no approver, approval date or expiry).
    DeviationWithoutExpiry,
    /// A deviation that runs longer than the cap on deviations.
    DeviationTooLong,
    /// A deviation past its expiry.
    DeviationExpired,
    /// A deviation that matches no finding.
    UnusedDeviation,

    /// A regulatory rule's finding: the rule's id (`ISO-05`), from the catalogue.
    #[strum(transparent)]
    Rule(String),
}

impl Code {
    /// The code as shown in every output: the kebab-case name, or the rule's id.
    pub fn as_str(&self) -> &str {
        self.as_ref()
    }

    /// The one-line description of a code (the rule's title is in the catalogue, not here).
    pub fn description(&self) -> &'static str {
        strum::EnumMessage::get_documentation(self).unwrap_or_default()
    }

    /// Every code ck8s-gen emits itself (not the rule ids).
    pub fn all() -> impl Iterator<Item = Code> {
        <Code as strum::IntoEnumIterator>::iter().filter(|c| !matches!(c, Code::Rule(_)))
    }

    /// The code ck8s-gen emits under `name` (`unknown-key`), if there is one.
    pub fn named(name: &str) -> Option<Code> {
        Code::all().find(|c| c.as_str() == name)
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Data that names a code (the catalogue's `replaces`) names one ck8s-gen emits: a typo fails
/// loading rather than matching nothing.
impl<'de> Deserialize<'de> for Code {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Code::named(&name).ok_or_else(|| {
            serde::de::Error::custom(format!("`{name}` is not a diagnostic code of ck8s-gen"))
        })
    }
}

impl PartialEq<str> for Code {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Code {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// The codes in the first column of the README's table under "Semantic rules".
    fn readme_codes() -> BTreeSet<String> {
        let readme = include_str!("../../README.md");
        let start = readme
            .find("### Semantic rules")
            .expect("the README has a Semantic rules section");
        let mut codes = BTreeSet::new();
        for line in readme[start..]
            .lines()
            .skip(1)
            .skip_while(|l| !l.starts_with('|'))
            .take_while(|l| l.starts_with('|'))
            .skip(2)
        {
            let first = line.split('|').nth(1).unwrap_or_default();
            for name in first.split('`').skip(1).step_by(2) {
                assert!(codes.insert(name.to_owned()), "`{name}` is listed twice");
            }
        }
        codes
    }

    #[test]
    fn codes_are_unique_kebab_case_and_described() {
        let mut seen = BTreeSet::new();
        for code in Code::all() {
            let name = code.as_str();
            assert!(seen.insert(name.to_owned()), "`{name}` is two codes");
            assert!(
                !name.is_empty()
                    && name.split('-').all(|w| !w.is_empty()
                        && w.bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())),
                "`{name}` is not kebab case"
            );
            let description = code.description();
            assert!(
                !description.is_empty() && !description.contains('\n'),
                "`{name}` needs a one-line description"
            );
        }
        assert!(seen.len() > 50, "{seen:?}");
        assert!(!seen.contains("rule"), "a rule id is not a code of its own");
    }

    #[test]
    fn readme_table_lists_every_code_and_no_other() {
        let documented = readme_codes();
        let emitted: BTreeSet<String> = Code::all().map(|c| c.as_str().to_owned()).collect();
        let missing: Vec<_> = emitted.difference(&documented).collect();
        let unknown: Vec<_> = documented.difference(&emitted).collect();
        assert!(
            missing.is_empty(),
            "codes missing from the README table: {missing:?}"
        );
        assert!(
            unknown.is_empty(),
            "README codes that do not exist: {unknown:?}"
        );
    }

    #[test]
    fn rule_ids_print_as_written_and_codes_as_names() {
        let rule = Code::Rule("ISO-05".to_owned());
        assert_eq!(rule.as_str(), "ISO-05");
        assert_eq!(rule.to_string(), "ISO-05");
        assert_eq!(Code::UnknownKey.as_str(), "unknown-key");
        assert_eq!(Code::InvalidUtf8.as_str(), "invalid-utf8");
        assert_eq!(Code::NotAMapping.as_str(), "not-a-mapping");
        assert_eq!(
            serde_json::to_string(&Code::GitopsRepositoryUrlMissing).unwrap(),
            "\"gitops-repository-url-missing\""
        );
        assert_eq!(serde_json::to_string(&rule).unwrap(), "\"ISO-05\"");
        for code in Code::all() {
            assert_eq!(Code::named(code.as_str()), Some(code));
        }
        assert_eq!(
            serde_json::from_str::<Code>("\"invalid-cron\"").unwrap(),
            Code::InvalidCron
        );
        assert!(serde_json::from_str::<Code>("\"invalid-crom\"").is_err());
        assert!(serde_json::from_str::<Code>("\"ISO-05\"").is_err());
    }
}
