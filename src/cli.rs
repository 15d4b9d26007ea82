//! The command line: flags and subcommands (clap derive). Doc comments are the help text.

use crate::diagnostic::Format;
use crate::environment::init::Provider;
use crate::environment::model::{Engine, Role};
use crate::restore::ExistingPolicy;
use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

const EXAMPLES: &str = "\
Examples:
  ck8s-gen validate                      validate every environment in ./environments
  ck8s-gen validate prod-se-health       validate one environment
  ck8s-gen render                        render every environment to ./rendered
  ck8s-gen render --check                fail (exit 1) when ./rendered is stale
  ck8s-gen render prod-se-health --stdout
  ck8s-gen diff --base origin/main --format markdown
  ck8s-gen restore prod-se-health --from-schedule daily --namespace shop | kubectl create -f -
  ck8s-gen regulations explain HSLF-07
  ck8s-gen report --as html --out evidence.html

Exit status: 0 success, 1 findings (validation errors, stale output, differences), 2 usage or I/O error.";

/// Validate Compliant Kubernetes (Welkin) backup environments against a schema and regulatory
/// profiles, and render their Velero, Flux and Argo CD manifests.
#[derive(Debug, Parser)]
#[command(name = "ck8s-gen", version, about, after_help = EXAMPLES, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every subcommand takes.
#[derive(Debug, Args)]
pub struct Global {
    /// Directory of environment files (`*.yaml`, plus an optional `common.yaml` layered under each).
    #[arg(
        long,
        global = true,
        default_value = "environments",
        env = "CK8S_GEN_DIR",
        value_name = "DIR"
    )]
    pub dir: PathBuf,
    /// Read schemas (environment schema, defaults, regulatory profiles) from DIR instead of the built-in ones.
    #[arg(long, global = true, value_name = "DIR")]
    pub schemas: Option<PathBuf>,
    /// Read templates from DIR instead of the built-in ones.
    #[arg(long, global = true, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// How to print findings.
    #[arg(long, global = true, value_enum, default_value_t = Format::Human, env = "CK8S_GEN_FORMAT")]
    pub format: Format,
    /// When to use colours (`NO_COLOR` is respected in `auto`).
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

/// Subcommands of `ck8s-gen argocd`.
#[derive(Debug, Subcommand)]
pub enum ArgocdCommand {
    /// Print the ConfigManagementPlugin `plugin.yaml` for the repo-server sidecar.
    Plugin,
    /// The plugin's `init`: validate the chosen environment; exit non-zero on any error.
    Init,
    /// The plugin's `generate`: print the chosen environment's manifests as one YAML stream.
    ///
    /// The environment comes from `ARGOCD_ENV_ENVIRONMENT`, the `environment` parameter
    /// (`ARGOCD_APP_PARAMETERS` or `PARAM_ENVIRONMENT`), or the Application name; the
    /// directory from `ARGOCD_ENV_DIR` or the `dir` parameter (default `environments`).
    /// Stdout carries only Kubernetes objects; it is never empty on success.
    Generate,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check environments against the schema, the semantic rules and their regulatory profiles.
    #[command(
        after_help = "Examples:\n  ck8s-gen validate\n  ck8s-gen validate prod-se-health --format json\n  ck8s-gen validate --format github   # annotations in a GitHub Actions job"
    )]
    Validate(ValidateArgs),
    /// Validate, then render the Velero, Flux and Argo CD manifests of every environment.
    ///
    /// Rendering reads the whole environment directory (a management environment holds the
    /// off-site jobs of others, the Argo CD ApplicationSet lists every environment); ENV limits
    /// what is written, checked or printed. If any environment is invalid nothing is written.
    #[command(
        after_help = "Examples:\n  ck8s-gen render                          write ./rendered\n  ck8s-gen render --check                  exit 1 if ./rendered is stale (CI)\n  ck8s-gen render prod-se-health --stdout  print one environment as a YAML stream"
    )]
    Render(RenderArgs),
    /// Print the configuration to apply on an environment's off-site bucket (JSON).
    ///
    /// Versioning, the object-lock default retention and the lifecycle rule expiring non-current
    /// versions and delete markers, in the shapes `aws s3api put-bucket-versioning`,
    /// `put-object-lock-configuration` and `put-bucket-lifecycle-configuration` take.
    #[command(
        after_help = "Example:\n  ck8s-gen offsite-bucket prod-se-health | jq .lifecycle > lifecycle.json\n  aws s3api put-bucket-lifecycle-configuration --bucket prod-se-health-velero-offsite --lifecycle-configuration file://lifecycle.json"
    )]
    OffsiteBucket(OffsiteBucketArgs),
    /// Print a Velero Restore (or the off-site disaster-recovery plan) for an environment.
    ///
    /// The objects go to stdout as a YAML stream, the checklist (what to delete first, pausing
    /// the off-site replication, GDPR erasure replay, how to follow the restore) to stderr.
    /// Nothing is applied: pipe the stream to `kubectl` in the cluster the checklist names.
    #[command(
        group(ArgGroup::new("source").required(true).args(["from_schedule", "backup", "from_offsite"])),
        after_help = "Examples:\n  ck8s-gen restore prod-se-health --from-schedule daily | kubectl create -f -\n  ck8s-gen restore prod-se-health --backup velero-daily-backup-20261124000000 --namespace shop --to-namespace shop=shop-restored\n  ck8s-gen restore prod-se-health --from-offsite   # disaster recovery: apply in the management cluster"
    )]
    Restore(RestoreArgs),
    /// List the regulatory profiles, or explain a profile or a rule with its citation.
    #[command(
        after_help = "Examples:\n  ck8s-gen regulations list\n  ck8s-gen regulations explain hslf-fs-2016-40\n  ck8s-gen regulations explain HSLF-07\n  ck8s-gen regulations explain GDPR-02 --format json"
    )]
    Regulations(RegulationsArgs),
    /// Show what a change does to the rendered manifests and to compliance.
    ///
    /// Renders the environments at a git revision (read with `git archive`, the working tree is
    /// untouched) or reads a committed rendered tree, renders the working tree, and compares
    /// them object by object (apiVersion/kind/namespace/name: reordering is no change). Above
    /// the manifest diff: the settings that changed and the findings introduced or resolved.
    /// `--format markdown` prints a pull-request comment; `--format json` a document.
    /// Exit status: 0 no changes, 1 changes, 2 error.
    #[command(
        after_help = "Examples:\n  ck8s-gen diff --base origin/main\n  ck8s-gen diff --base origin/main --format markdown --exit-zero > comment.md\n  ck8s-gen diff --against rendered            # compare with the committed tree"
    )]
    Diff(DiffArgs),
    /// Run as an Argo CD Config Management Plugin, or print its plugin.yaml.
    #[command(
        subcommand,
        after_help = "Examples:\n  ck8s-gen argocd plugin > plugin.yaml\n  ARGOCD_ENV_ENVIRONMENT=prod-se-health ck8s-gen argocd generate"
    )]
    Argocd(ArgocdCommand),
    /// Print the built-in defaults that every environment is layered on.
    Defaults,
    /// Explain a key of the environment file: meaning, type, allowed values, default.
    #[command(
        after_help = "Examples:\n  ck8s-gen explain backup.retention.ttl\n  ck8s-gen explain storage            # lists the keys under `storage`\n  ck8s-gen explain backup.tiers[].ttl"
    )]
    Explain(ExplainArgs),
    /// Write a new, valid, commented environment file.
    #[command(
        after_help = "Examples:\n  ck8s-gen init prod-no --provider safespring --role workload\n  ck8s-gen init mgmt --provider azure --role management --engine argocd --compliance gdpr-art-17"
    )]
    Init(InitArgs),
    /// Show what is in the backups: namespaces, resources and volumes included or left out, and why.
    #[command(
        after_help = "Examples:\n  ck8s-gen coverage prod-se-health\n  ck8s-gen coverage --json"
    )]
    Coverage(CoverageArgs),
    /// Write the compliance evidence report for auditors: every rule per environment, the fleet
    /// side by side, backup coverage, and a header to reproduce it.
    ///
    /// The report lists every environment, valid or not (an invalid one shows as failing); the
    /// findings are in the report, not on stderr, and the global `--format` does not apply. The
    /// header records the tool version, the git commit of the repository holding --dir
    /// (`git rev-parse HEAD`, with `-dirty` when it has uncommitted changes; set
    /// `CK8S_GEN_COMMIT` to record another value, or an empty value for none), the day date rules
    /// were evaluated on (`CK8S_GEN_TODAY`) and SHA-256 hashes of the effective environments and
    /// of the schemas. Exit status 1 when any environment has an error-level finding.
    #[command(
        after_help = "Examples:\n  ck8s-gen report                               Markdown on stdout\n  ck8s-gen report --as html --out evidence.html  one self-contained, printable page\n  ck8s-gen report prod-se-health --out prod.json  format from the extension\n  CK8S_GEN_TODAY=2026-11-25 ck8s-gen report --as json   reproduce a report of that day"
    )]
    Report(ReportArgs),
    /// Print the JSON Schema for editors (yaml-language-server, VS Code): one file as a layer.
    ///
    /// An environment file (`kind: Environment`) or `common.yaml` (`kind: Defaults`) is checked
    /// as one layer: nothing is required that another layer may set, `key: null` and `key+:`
    /// are allowed. `--effective` prints the schema of the effective (layered) environment
    /// that `validate` checks.
    #[command(after_help = "Examples:
  ck8s-gen schema > schemas/editor.schema.json
  ck8s-gen schema --effective")]
    Schema(SchemaArgs),
    /// Print shell completions.
    #[command(
        after_help = "Examples:\n  ck8s-gen completions bash > /etc/bash_completion.d/ck8s-gen\n  ck8s-gen completions zsh > \"${fpath[1]}/_ck8s-gen\""
    )]
    Completions(CompletionsArgs),
    /// Print the man page (roff), or a subcommand's page, or write every page to a directory.
    #[command(
        after_help = "Examples:\n  ck8s-gen man > /usr/local/share/man/man1/ck8s-gen.1\n  ck8s-gen man render | man -l -\n  ck8s-gen man argocd generate\n  ck8s-gen man --out-dir /usr/local/share/man/man1   # ck8s-gen.1 and one page per subcommand"
    )]
    Man(ManArgs),
}

// `ck8s-gen validate` (a `//` comment: a doc comment would become its help text).
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Environment names or files (default: every environment in --dir).
    #[arg(value_name = "ENV")]
    pub environments: Vec<String>,
}

// `ck8s-gen render` (a `//` comment: a doc comment would become its help text).
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Environment names (default: every environment in --dir).
    #[arg(value_name = "ENV")]
    pub environments: Vec<String>,
    /// Output directory.
    #[arg(long, default_value = "rendered", value_name = "DIR")]
    pub out: PathBuf,
    /// Write nothing; exit 1 listing every stale, missing or extra file in --out.
    #[arg(long, conflicts_with = "stdout")]
    pub check: bool,
    /// Print one multi-document YAML stream to stdout instead of writing files.
    #[arg(long)]
    pub stdout: bool,
    /// Render everything even when nothing changed since the last render into --out (the
    /// record of that render is kept in `$CK8S_GEN_CACHE_DIR`, else `$XDG_CACHE_HOME/ck8s-gen`
    /// or `~/.cache/ck8s-gen`; `--check` never uses it).
    #[arg(long, env = "CK8S_GEN_NO_CACHE", value_parser = clap::builder::FalseyValueParser::new())]
    pub no_cache: bool,
}

// `ck8s-gen offsite-bucket` (a `//` comment: a doc comment would become its help text).
#[derive(Debug, Args)]
pub struct OffsiteBucketArgs {
    /// The environment whose off-site copy it is (name, file stem or file).
    #[arg(value_name = "ENV")]
    pub environment: String,
}

// `ck8s-gen restore` (a `//` comment: a doc comment would become its help text).
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The environment whose backups are restored (name, file stem or file).
    #[arg(value_name = "ENV")]
    pub environment: String,
    /// Restore the latest completed backup of a Schedule: `daily`, a tier name, or the full
    /// Schedule name (`velero-daily-backup`).
    #[arg(long, value_name = "NAME")]
    pub from_schedule: Option<String>,
    /// Restore one backup, by name (`velero backup get`).
    #[arg(long, value_name = "NAME")]
    pub backup: Option<String>,
    /// Disaster recovery from the off-site copy: a read-only BackupStorageLocation when it is
    /// not encrypted, or the Job copying it back (decrypting) with replication paused.
    #[arg(long, conflicts_with_all = ["namespaces", "to_namespace", "existing_resource_policy", "name"])]
    pub from_offsite: bool,
    /// With --from-offsite: recover the copy as it was at this time (RFC 3339, e.g.
    /// `2026-11-24T03:00:00Z`), from the object versions of the off-site bucket: the way
    /// back when a wipe or tampering reached the copy.
    #[arg(long, value_name = "TIME", requires = "from_offsite")]
    pub at: Option<String>,
    /// Restore only this namespace (repeat for more; default: everything in the backup).
    #[arg(long = "namespace", value_name = "NS")]
    pub namespaces: Vec<String>,
    /// Restore namespace OLD as NEW (repeat for more).
    #[arg(long, value_name = "OLD=NEW")]
    pub to_namespace: Vec<String>,
    /// What to do with objects that already exist: `none` skips them (the default: nothing
    /// is overwritten), `update` patches them to their backed-up state.
    #[arg(long, value_enum, value_name = "POLICY")]
    pub existing_resource_policy: Option<ExistingPolicy>,
    /// Name of the Restore (default: `<env>-<source>-<hash of the request>`).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
}

// `ck8s-gen regulations` (a `//` comment: a doc comment would become its help text).
#[derive(Debug, Args)]
pub struct RegulationsArgs {
    #[command(subcommand)]
    pub command: RegulationsCommand,
}

// `ck8s-gen diff` (a `//` comment: a doc comment would become its help text).
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Compare with the environments at this git revision (branch, tag or commit).
    #[arg(
        long,
        value_name = "REV",
        conflicts_with = "against",
        required_unless_present = "against"
    )]
    pub base: Option<String>,
    /// Compare with a rendered tree on disk (e.g. the committed `rendered/`).
    #[arg(long, value_name = "DIR")]
    pub against: Option<PathBuf>,
    /// Limit the diff to these environments.
    #[arg(value_name = "ENV")]
    pub environments: Vec<String>,
    /// Exit 0 even when there are changes (for comment jobs).
    #[arg(long)]
    pub exit_zero: bool,
}

// `ck8s-gen explain` (a `//` comment: a doc comment would become its help text).
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A dotted key, e.g. `backup.retention.ttl`; `[]` steps into a list.
    pub key: String,
    /// Print JSON instead of text (same as `--format json`).
    #[arg(long)]
    pub json: bool,
}

// `ck8s-gen init` (a `//` comment: a doc comment would become its help text).
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Name of the environment (a DNS label, at most 40 characters).
    pub name: String,
    /// Infrastructure provider.
    #[arg(long, value_enum)]
    pub provider: Provider,
    /// Cluster role.
    #[arg(long, value_enum, default_value_t = Role::Workload)]
    pub role: Role,
    /// GitOps engine.
    #[arg(long, value_enum, default_value_t = Engine::Flux)]
    pub engine: Engine,
    /// Regulatory profiles (repeat or comma-separate).
    #[arg(long, value_delimiter = ',')]
    pub compliance: Vec<String>,
    /// Print the file instead of writing `<dir>/<name>.yaml`.
    #[arg(long)]
    pub stdout: bool,
    /// Overwrite an existing file.
    #[arg(long)]
    pub force: bool,
}

// `ck8s-gen coverage` (a `//` comment: a doc comment would become its help text).
#[derive(Debug, Args)]
pub struct CoverageArgs {
    /// Environment names or files (default: every environment).
    #[arg(value_name = "ENV")]
    pub environments: Vec<String>,
    /// Print JSON instead of Markdown text (same as `--format json`).
    #[arg(long)]
    pub json: bool,
}

// `ck8s-gen report` (a `//` comment: a doc comment would become its help text).
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Environment names or files (default: every environment in --dir).
    #[arg(value_name = "ENV")]
    pub environments: Vec<String>,
    /// Report format [default: from the --out extension (.html, .json, .md), else markdown].
    #[arg(long = "as", value_enum, value_name = "FORMAT")]
    pub report_format: Option<ReportFormat>,
    /// Write the report to FILE (atomically) instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

// `ck8s-gen schema` (a `//` comment: a doc comment would become its help text).
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Print the schema of the effective environment instead (every required key).
    #[arg(long)]
    pub effective: bool,
}

// `ck8s-gen completions` (a `//` comment: a doc comment would become its help text).
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    pub shell: clap_complete::Shell,
}

// `ck8s-gen man` (a `//` comment: a doc comment would become its help text).
#[derive(Debug, Args)]
pub struct ManArgs {
    /// The subcommand whose page to print, e.g. `render` or `argocd generate`.
    #[arg(value_name = "SUBCOMMAND", conflicts_with = "out_dir")]
    pub subcommand: Vec<String>,
    /// Write `ck8s-gen.1` and a page for every subcommand (`ck8s-gen-render.1`, …) to DIR.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

/// Format of the evidence report (`report --as`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// GitHub-flavoured Markdown with tables.
    Markdown,
    /// One self-contained HTML page (no script, no network), printable.
    Html,
    /// JSON with a `version` field (shape documented in the README).
    Json,
}

impl ReportFormat {
    /// The format a file name asks for: `.html`/`.htm`, `.json`, `.md`/`.markdown`.
    pub fn from_path(path: &std::path::Path) -> Option<ReportFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "html" | "htm" => Some(ReportFormat::Html),
            "json" => Some(ReportFormat::Json),
            "md" | "markdown" => Some(ReportFormat::Markdown),
            _ => None,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum RegulationsCommand {
    /// Every profile with its rule counts by severity.
    List,
    /// A profile (its rules with citations) or one rule (citation, quote, what it checks, fix).
    Explain {
        /// A profile id or alias (`gdpr-art-17`) or a rule id (`HSLF-07`).
        #[arg(value_name = "ID|RULE")]
        id: String,
    },
}
