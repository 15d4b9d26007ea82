//! `ck8s-gen render`: validate every environment, then write (or check, or print) the rendered
//! manifests.

use super::{Error, assets, err, fail, findings, out};
use crate::ExitStatus;
use crate::cache;
use crate::cli::{Global, RenderArgs};
use crate::diagnostic::Format;
use crate::environment::load::Provenance;
use crate::render::{self, Options};
use crate::text::count as plural;
use crate::tree::{self, Scope};
use crate::validate::{self, Outcome, Request};
use std::path::Path;

pub fn run(global: &Global, args: &RenderArgs, today: i64) -> Result<ExitStatus, Error> {
    let assets = assets(global)?;
    let memo = Memo::new(global, args, today, &assets);
    if let Some(record) = memo.as_ref().and_then(Memo::hit) {
        print_findings(global, args, &record.findings)?;
        err(&record.warnings);
        err(&format!(
            "rendered {}: 0 files changed, {} unchanged, 0 removed (inputs, tool and `{}` as the last render left them)\n",
            plural(record.environments, "environment"),
            record.files,
            args.out.display()
        ));
        return Ok(ExitStatus::Success);
    }
    // The whole directory: one environment's output can depend on another's.
    let mut outcome = validate::validate_settings(&Request {
        dir: &global.dir,
        only: &[],
        assets: &assets,
        today,
    })
    .map_err(fail)?;
    let text = findings(global, &outcome);
    print_findings(global, args, &text)?;
    let selected = select(&outcome, &args.environments, &global.dir)?;
    // An error blocks only the environments whose output depends on it: they (and the
    // fleet's ApplicationSets when an Argo CD environment is blocked) are kept as they are,
    // everything else is rendered; the exit status still reports the errors.
    let blocked: Vec<String> = outcome.blocked().into_iter().map(str::to_owned).collect();
    let mut kept = blocked.clone();
    if outcome.fleet_blocked {
        kept.push(render::FLEET_DIR.to_owned());
    }
    let (selected, refused): (Vec<String>, Vec<String>) = selected
        .into_iter()
        .partition(|name| !blocked.contains(name));
    let blocking = outcome.has_blocking();
    let left = if args.environments.is_empty() {
        &kept
    } else {
        &refused
    };
    let not_rendered = match (blocking, left.is_empty()) {
        (false, _) => String::new(),
        (true, false) => format!(
            "error: not rendered (left as they are) because of the validation errors above: {}\n",
            left.join(", ")
        ),
        (true, true) => {
            "error: the validation errors above block other environments (these rendered)\n"
                .to_owned()
        }
    };
    let status = if blocking {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    };
    if !args.environments.is_empty() && selected.is_empty() {
        return Err(Error::Failure(not_rendered));
    }
    // Rendering needs neither the report nor where each value came from: free them first
    // (a large fleet's provenance and findings are tens of megabytes). The render record keeps
    // the findings as printed.
    let printed = if memo.is_some() { text } else { String::new() };
    outcome.diagnostics = Vec::new();
    for checked in &mut outcome.environments {
        checked.loaded.provenance = Provenance::default();
        checked.rules = Vec::new();
    }
    // The typed models, dropped while the findings were held.
    outcome.retype();
    let options = Options {
        source_label: source_label(&global.dir),
    };
    let scope = if args.environments.is_empty() {
        if kept.is_empty() {
            Scope::All
        } else {
            Scope::Except(kept)
        }
    } else {
        Scope::Environments(selected.clone())
    };
    let inputs = render::inputs(&outcome, &options).map_err(fail)?;
    let count = if args.environments.is_empty() {
        inputs.len()
    } else {
        selected.len()
    };
    let dir = args.out.as_path();
    let mut warnings = String::new();
    if !args.stdout {
        let rendered: Vec<&crate::environment::model::Environment> = inputs
            .iter()
            .map(|i| i.environment)
            .filter(|e| args.environments.is_empty() || selected.contains(&e.metadata.name))
            .collect();
        for warning in rendered_path_warnings(dir, &rendered) {
            err(&warning);
            warnings.push_str(&warning);
        }
    }

    if args.stdout {
        let bundle = render::render_inputs(&inputs, &assets).map_err(fail)?;
        // A blocked fleet (an Argo CD environment is blocked) leaves the ApplicationSets out:
        // printed without the blocked environment, they would drop its Application.
        let only = if !args.environments.is_empty() {
            selected
        } else if outcome.fleet_blocked {
            bundle.environments.clone()
        } else {
            Vec::new()
        };
        let stream = bundle.stream(&only);
        if stream.is_empty() {
            return Err(Error::Failure(format!(
                "{not_rendered}error: nothing to print: the selected environments render no objects\n"
            )));
        }
        err(&not_rendered);
        out(&stream)?;
        return Ok(status);
    }
    // Each file is compared or staged as soon as it is rendered: the fleet's output is never
    // held in memory as a whole.
    if args.check {
        let checker = tree::Checker::new(dir, &scope).map_err(fail)?;
        render::render_each(&inputs, &assets, &|file| {
            checker.compare(&file.path, &file.bytes);
        })
        .map_err(fail)?;
        // The environments are not needed any more: free them before the tree is listed.
        drop(inputs);
        drop(outcome);
        let (problems, files) = checker.finish().map_err(fail)?;
        return if problems.is_empty() {
            err(&format!(
                "`{}` is up to date ({} of {})\n",
                dir.display(),
                plural(files, "file"),
                plural(count, "environment")
            ));
            err(&not_rendered);
            Ok(status)
        } else {
            let mut text = String::new();
            for problem in &problems {
                text.push_str(&format!("{}: {problem}\n", dir.display()));
            }
            text.push_str(&format!(
                    "error: `{}` is not what `ck8s-gen render` produces ({}); run `ck8s-gen render` and commit the result\n",
                    dir.display(),
                    plural(problems.len(), "problem")
                ));
            text.push_str(&not_rendered);
            Err(Error::Failure(text))
        };
    }
    let mut writer = tree::Writer::new(dir, &scope).map_err(fail)?;
    if memo.is_some() {
        writer = writer.recording();
    }
    // A render error leaves the directory as it was: the writer is dropped unfinished.
    render::render_each(&inputs, &assets, &|file| {
        writer.stage(&file.path, &file.bytes);
    })
    .map_err(fail)?;
    // The environments are not needed to move the files into place: free them first.
    drop(inputs);
    drop(outcome);
    let report = writer.finish().map_err(fail)?;
    for path in &report.cleaned {
        err(&format!(
            "note: removed `{path}`, left behind by an interrupted run\n"
        ));
    }
    for path in &report.kept {
        err(&format!(
            "warning: kept `{}`: listed in the manifest, but it does not start with ck8s-gen's header, so ck8s-gen did not write it; it is no longer listed as ck8s-gen's (delete it yourself if it is not needed)\n",
            dir.join(path).display()
        ));
    }
    for path in &report.unowned {
        err(&format!(
            "warning: `{}` was not written by ck8s-gen but sits in a directory the GitOps engine applies\n",
            dir.join(path).display()
        ));
    }
    err(&format!(
        "rendered {}: {} changed, {} unchanged, {} removed\n",
        plural(count, "environment"),
        plural(report.changed.len(), "file"),
        report.unchanged,
        report.removed.len()
    ));
    err(&not_rendered);
    if let Some(memo) = memo
        && !blocking
        && matches!(scope, Scope::All)
        && report.kept.is_empty()
        && report.unowned.is_empty()
        && report.cleaned.is_empty()
        && let Some(snapshot) = &report.snapshot
    {
        let files = report.changed.len() + report.unchanged;
        memo.store(count, files, &printed, &warnings, snapshot);
    }
    Ok(status)
}

/// Findings go to stderr whenever stdout carries the manifests, or for people.
fn print_findings(global: &Global, args: &RenderArgs, text: &str) -> Result<(), Error> {
    if global.format == Format::Human || args.stdout {
        err(text);
        Ok(())
    } else {
        out(text)
    }
}

/// The no-change shortcut (`crate::cache`) of a plain `render` of every environment into a
/// directory: `None` for `--check`, `--stdout`, chosen environments, `--no-cache`, or when no
/// cache directory is known or an input is unusual.
struct Memo {
    key: String,
    out: std::path::PathBuf,
    path: std::path::PathBuf,
}

impl Memo {
    fn new(
        global: &Global,
        args: &RenderArgs,
        today: i64,
        assets: &crate::assets::Assets,
    ) -> Option<Memo> {
        if args.check || args.stdout || args.no_cache || !args.environments.is_empty() {
            return None;
        }
        let cache_dir = cache_dir()?;
        let cwd = std::env::current_dir().ok()?;
        let tool = tool_identity()?;
        let format = format!("{:?}", global.format);
        let key = cache::key(
            &cache::KeyParts {
                tool: &tool,
                today,
                cwd: &cwd,
                dir: &global.dir,
                out: &args.out,
                format: &format,
                color: super::use_color(global.color),
            },
            assets,
        )?;
        Some(Memo {
            key,
            out: args.out.clone(),
            path: cache::record_path(&cache_dir, &args.out),
        })
    }

    fn hit(&self) -> Option<cache::Record> {
        let record = cache::load(&self.path)?;
        cache::hit(&record, &self.key, &self.out).then_some(record)
    }

    /// Best effort: a record that cannot be written only costs the next run its shortcut.
    fn store(
        self,
        environments: usize,
        files: usize,
        findings: &str,
        warnings: &str,
        snapshot: &tree::Snapshot,
    ) {
        let rendered = cache::Rendered {
            key: &self.key,
            environments,
            files,
            findings,
            warnings,
            tree: snapshot,
        };
        let _ = cache::store(&self.path, &rendered);
    }
}

/// `$CK8S_GEN_CACHE_DIR`, else `$XDG_CACHE_HOME/ck8s-gen`, else `~/.cache/ck8s-gen`.
fn cache_dir() -> Option<std::path::PathBuf> {
    let set = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(dir) = set("CK8S_GEN_CACHE_DIR") {
        return Some(dir.into());
    }
    if let Some(dir) = set("XDG_CACHE_HOME") {
        return Some(std::path::PathBuf::from(dir).join("ck8s-gen"));
    }
    set("HOME").map(|home| std::path::PathBuf::from(home).join(".cache/ck8s-gen"))
}

/// The version and the running executable's size, inode and modification time: a rebuilt or
/// replaced binary is another tool.
fn tool_identity() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let exe = std::fs::metadata(std::env::current_exe().ok()?).ok()?;
    Some(format!(
        "{} {} {} {}.{}",
        crate::render::VERSION,
        exe.len(),
        exe.ino(),
        exe.mtime(),
        exe.mtime_nsec()
    ))
}

/// The environment names the arguments refer to (by name, file stem or file path).
fn select(outcome: &Outcome, wanted: &[String], dir: &Path) -> Result<Vec<String>, Error> {
    let mut names = Vec::new();
    for want in wanted {
        let found = outcome.environments.iter().find(|c| {
            let path = &outcome.sources.get(c.loaded.file).path;
            let stem = Path::new(path).file_stem().map(|s| s.to_string_lossy());
            c.loaded.name == *want
                || stem.as_deref() == Some(want.as_str())
                || Path::new(path) == Path::new(want)
                || same_file(path, want)
        });
        match found {
            Some(c) if !names.contains(&c.loaded.name) => names.push(c.loaded.name.clone()),
            Some(_) => {}
            None => {
                return Err(fail(format!(
                    "no environment named `{want}` in `{}`",
                    dir.display()
                )));
            }
        }
    }
    Ok(names)
}

fn same_file(a: &str, b: &str) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// How environment files are named in file headers: `<directory name>/<file>`, independent of
/// how the directory was given, so output is the same on every machine.
fn source_label(dir: &Path) -> String {
    std::fs::canonicalize(dir)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .or_else(|| dir.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "environments".to_owned())
}

/// The GitOps objects point at `<gitops.repository.renderedPath>/<env>/…` in Git: warn when
/// `--out` writes somewhere else (one warning per differing path, naming its environments).
fn rendered_path_warnings(
    out: &Path,
    environments: &[&crate::environment::model::Environment],
) -> Vec<String> {
    let normal = |p: &Path| -> Vec<String> {
        p.components()
            .filter_map(|c| match c {
                std::path::Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
                _ => None,
            })
            .collect()
    };
    let written = normal(out);
    let mut by_path: std::collections::BTreeMap<String, Vec<&str>> = Default::default();
    for env in environments {
        let declared = env
            .gitops
            .repository
            .as_ref()
            .and_then(|r| r.rendered_path.clone())
            .unwrap_or_else(|| "rendered".to_owned());
        let want = normal(Path::new(&declared));
        // A relative --out is relative to the repository root; an absolute one must end in it.
        let same = if out.is_absolute() {
            written.ends_with(&want)
        } else {
            written == want
        };
        if !same {
            by_path
                .entry(declared)
                .or_default()
                .push(&env.metadata.name);
        }
    }
    by_path
        .into_iter()
        .map(|(declared, names)| {
            format!(
                "warning: writing to `{}`, but the Flux Kustomizations and Argo CD Applications of {} point at `{declared}/<env>/…` in Git (`gitops.repository.renderedPath: {declared}`): set `gitops.repository.renderedPath: {}` (e.g. in common.yaml) or render with `--out {declared}`\n",
                out.display(),
                names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", "),
                out.display(),
            )
        })
        .collect()
}
