//! Values a consumer parses further than the schema can say: Git revisions, object and
//! repository paths, and Kubernetes label syntax in tolerations and node selectors.

use super::Ctx;
use crate::diagnostic::{Code, Diagnostic};
use crate::environment::model::Environment;
use crate::schema::dotted;
use serde_json::Value;

/// Values whose consumer parses them further than the schema can say: the Git revision Argo CD
/// passes to `git` (a leading `-` would be an option), the storage prefix rclone and Velero
/// join into object paths (`..` would leave the environment's prefix), the rendered path Argo
/// CD and Flux apply (`..` would apply another directory), and the label keys and
/// values of the chart's tolerations and node selectors (the API server refuses others, after
/// `validate` and `render` said yes).
pub(super) fn check(cx: &mut Ctx<'_>, env: &Environment) {
    if let Some(revision) = env
        .gitops
        .repository
        .as_ref()
        .and_then(|r| r.revision.as_deref())
        && let Some(why) = git_revision_problem(revision)
    {
        cx.push(
            Diagnostic::error(
                Code::InvalidGitRevision,
                format!("`gitops.repository.revision` is not a Git branch, tag or commit: {why}"),
            )
            .at(cx.at("/gitops/repository/revision"), "passed to git by Argo CD")
            .help("use a branch, tag or commit SHA as `git check-ref-format` accepts it, e.g. `main`, `v1.2.0` or `release/2026-11`"),
        );
    }
    if let Some(prefix) = env.storage.prefix.as_deref()
        && prefix
            .split('/')
            .any(|segment| segment.is_empty() || segment == "." || segment == "..")
    {
        cx.push(
            Diagnostic::error(
                Code::InvalidPrefixPath,
                format!("`storage.prefix` `{prefix}` has an empty, `.` or `..` segment: rclone and Velero would read and write another path of the bucket than the one it names"),
            )
            .at(cx.at("/storage/prefix"), "object path in the bucket")
            .help("write the prefix as plain segments separated by single `/`, without a trailing `/` (e.g. `prod-se/velero`)"),
        );
    }
    if let Some(path) = env
        .gitops
        .repository
        .as_ref()
        .and_then(|r| r.rendered_path.as_deref())
        && (path.starts_with('/')
            || path.starts_with('-')
            || path
                .split('/')
                .any(|segment| segment.is_empty() || segment == "." || segment == ".."))
    {
        cx.push(
            Diagnostic::error(
                Code::InvalidRenderedPath,
                format!("`gitops.repository.renderedPath` `{path}` is not a plain path inside the repository: Argo CD and Flux would apply another directory than the one `render` writes"),
            )
            .at(cx.at("/gitops/repository/renderedPath"), "path in the Git repository")
            .help("give the directory relative to the repository root, as plain segments separated by single `/` (e.g. `rendered` or `deploy/rendered`)"),
        );
    }
    let velero = &env.gitops.velero;
    for (base, pod) in [
        ("/gitops/velero", velero.server()),
        ("/gitops/velero/nodeAgent", velero.node_agent.clone()),
    ] {
        for (i, toleration) in pod.tolerations.iter().flatten().enumerate() {
            for (field, label_key) in [("key", true), ("value", false)] {
                if let Some(text) = toleration.get(field).and_then(Value::as_str) {
                    label_syntax(
                        cx,
                        &format!("{base}/tolerations/{i}/{field}"),
                        text,
                        label_key,
                    );
                }
            }
        }
        for (key, value) in pod.node_selector.iter().flatten() {
            let pointer = crate::source::pointer::child(&format!("{base}/nodeSelector"), key);
            label_syntax(cx, &pointer, key, true);
            label_syntax(cx, &pointer, value, false);
        }
    }
}

/// Why `revision` is no Git ref name or commit (`git check-ref-format` rules), if it is not.
fn git_revision_problem(revision: &str) -> Option<&'static str> {
    if revision.starts_with('-') {
        return Some("it starts with `-`, which git reads as an option");
    }
    if revision
        .chars()
        .any(|c| c.is_whitespace() || c.is_control())
    {
        return Some("it contains white space or a control character");
    }
    if revision.chars().any(|c| "~^:?*[\\".contains(c)) {
        return Some("it contains one of `~ ^ : ? * [ \\`");
    }
    if revision.contains("..") || revision.contains("@{") || revision.contains("//") {
        return Some("it contains `..`, `@{` or `//`");
    }
    if revision.ends_with('/')
        || revision.ends_with('.')
        || revision.ends_with(".lock")
        || revision.starts_with('/')
    {
        return Some("it starts or ends with `/`, or ends with `.` or `.lock`");
    }
    None
}

/// A Kubernetes label key (`prefix/name`) or label value, as the API server checks them in
/// node selectors and tolerations.
fn label_syntax(cx: &mut Ctx<'_>, pointer: &str, text: &str, key: bool) {
    fn name_ok(name: &str, empty_ok: bool) -> bool {
        if name.is_empty() {
            return empty_ok;
        }
        let bytes = name.as_bytes();
        name.len() <= 63
            && bytes[0].is_ascii_alphanumeric()
            && bytes[bytes.len() - 1].is_ascii_alphanumeric()
            && bytes
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(b))
    }
    let ok = if key {
        match text.split_once('/') {
            Some((prefix, name)) => {
                prefix.len() <= 253
                    && !prefix.is_empty()
                    && prefix.split('.').all(|l| {
                        !l.is_empty()
                            && l.len() <= 63
                            && l.bytes()
                                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                            && !l.starts_with('-')
                            && !l.ends_with('-')
                    })
                    && name_ok(name, false)
            }
            None => name_ok(text, false),
        }
    } else {
        name_ok(text, true)
    };
    if !ok {
        let what = if key { "label key" } else { "label value" };
        cx.push(
            Diagnostic::error(
                Code::InvalidLabelSyntax,
                format!("`{}` is not a valid Kubernetes {what}: the API server would refuse the Velero pods", dotted(pointer)),
            )
            .at(cx.at(pointer), what)
            .help(if key {
                "use an optional DNS-subdomain prefix and `/`, then at most 63 letters, digits, `-`, `_` or `.`, starting and ending with a letter or digit (e.g. `node-role.kubernetes.io/backup`)"
            } else {
                "use at most 63 letters, digits, `-`, `_` or `.`, starting and ending with a letter or digit (or an empty value)"
            }),
        );
    }
}
