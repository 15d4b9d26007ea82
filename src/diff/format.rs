//! Renderers for a [`DiffReport`]: terminal text (optionally coloured), Markdown for a
//! pull-request comment (kept under GitHub's comment limit), and JSON.

use super::{ChangeGroup, DiffReport, EnvironmentStatus, ObjectChange, ObjectChangeKind};
use anstyle::{AnsiColor, Style};

/// GitHub rejects comments longer than 65,536 characters; stay below with room for a note.
pub const MARKDOWN_LIMIT: usize = 65_000;

fn names(group: &ChangeGroup) -> String {
    match group.environments.len() {
        1 => group.environments[0].clone(),
        n => format!("{} ({n} environments)", group.environments.join(", ")),
    }
}

fn status_word(status: EnvironmentStatus) -> &'static str {
    match status {
        EnvironmentStatus::Added => "added",
        EnvironmentStatus::Removed => "removed",
        EnvironmentStatus::Changed => "changed",
    }
}

fn object_sign(kind: ObjectChangeKind) -> char {
    match kind {
        ObjectChangeKind::Added => '+',
        ObjectChangeKind::Removed => '-',
        ObjectChangeKind::Changed => '~',
    }
}

fn arrow(before: Option<&str>, after: Option<&str>) -> String {
    format!(
        "{} → {}",
        before.unwrap_or("(unset)"),
        after.unwrap_or("(unset)")
    )
}

/// The one-line summary: `2 environments changed, 1 added, 1 removed`.
pub fn headline(report: &DiffReport) -> String {
    if report.is_empty() {
        return "no changes".to_owned();
    }
    let mut parts = Vec::new();
    for status in [
        EnvironmentStatus::Changed,
        EnvironmentStatus::Added,
        EnvironmentStatus::Removed,
    ] {
        let n = report.count(status);
        if n > 0 {
            parts.push(format!(
                "{} {}",
                crate::text::count(n, "environment"),
                status_word(status)
            ));
        }
    }
    if !report.fleet.is_empty() {
        parts.push(format!(
            "{} fleet-wide {} changed",
            report.fleet.len(),
            crate::text::plural(report.fleet.len(), "object")
        ));
    }
    parts.join(", ")
}

/// Terminal text. With `color`, additions are green and removals red.
pub fn text(report: &DiffReport, color: bool) -> String {
    // Values never carry control bytes to the terminal: the text is neutralized piece by piece,
    // before our own colour codes are added around it.
    let plain = |s: String| crate::secrets::redact::neutralize(&s).into_owned();
    let paint = |style: Style, s: &str| {
        let s = crate::secrets::redact::neutralize(s);
        if color {
            format!("{}{s}{}", style.render(), style.render_reset())
        } else {
            s.into_owned()
        }
    };
    let green = Style::new().fg_color(Some(AnsiColor::Green.into()));
    let red = Style::new().fg_color(Some(AnsiColor::Red.into()));
    let cyan = Style::new().fg_color(Some(AnsiColor::Cyan.into()));
    let bold = Style::new().bold();
    let mut out = plain(format!(
        "ck8s-gen diff: {} → {}\n{}\n",
        report.base,
        report.head,
        headline(report)
    ));
    for group in &report.groups {
        let change = &group.change;
        out.push('\n');
        out.push_str(&paint(
            bold,
            &format!("{} [{}]", names(group), status_word(change.status)),
        ));
        out.push('\n');
        if !change.settings.is_empty() {
            out.push_str("  settings:\n");
            for s in &change.settings {
                out.push_str(&plain(format!(
                    "    {}: {}\n",
                    s.key,
                    arrow(s.before.as_deref(), s.after.as_deref())
                )));
            }
        }
        if !change.findings.is_empty() {
            out.push_str("  compliance:\n");
            for f in &change.findings {
                let line = format!(
                    "    {} {} {} {}",
                    if f.introduced { '+' } else { '-' },
                    f.severity,
                    f.code,
                    f.message
                );
                out.push_str(&paint(if f.introduced { red } else { green }, &line));
                out.push('\n');
            }
        }
        if let Some(note) = &change.note {
            out.push_str(&plain(format!("  note: {note}\n")));
        }
        if !change.objects.is_empty() {
            out.push_str("  objects:\n");
            for o in &change.objects {
                out.push_str(&plain(format!(
                    "    {} {}\n",
                    object_sign(o.kind),
                    o.object
                )));
                for line in o.diff.lines() {
                    let style = if line.starts_with("@@") {
                        Some(cyan)
                    } else if line.starts_with('+') && !line.starts_with("+++") {
                        Some(green)
                    } else if line.starts_with('-') && !line.starts_with("---") {
                        Some(red)
                    } else {
                        None
                    };
                    let line = format!("      {line}");
                    out.push_str(&style.map_or_else(|| plain(line.clone()), |s| paint(s, &line)));
                    out.push('\n');
                }
            }
        }
    }
    if !report.fleet.is_empty() {
        out.push('\n');
        out.push_str(&paint(
            bold,
            "fleet-wide objects (_fleet/, not an environment)",
        ));
        out.push('\n');
        for o in &report.fleet {
            out.push_str(&plain(format!(
                "    {} {}\n",
                object_sign(o.kind),
                o.object
            )));
            for line in o.diff.lines() {
                out.push_str(&plain(format!("      {line}\n")));
            }
        }
    }
    out
}

/// GitHub Actions workflow commands: one annotation per group of environments (a notice,
/// or an error/warning for each finding the change introduces) and one for the fleet-wide
/// objects, each summarising what changed. Annotations carry no file: the change is to the
/// rendered output, not to a line of the environment files.
pub fn github(report: &DiffReport) -> String {
    // https://docs.github.com/actions/reference/workflow-commands-for-github-actions
    let data = |s: &str| {
        s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    };
    let property = |s: &str| data(s).replace(':', "%3A").replace(',', "%2C");
    let mut out = format!(
        "::notice title={}::{}\n",
        property(&format!("ck8s-gen diff {} → {}", report.base, report.head)),
        data(&headline(report))
    );
    for group in &report.groups {
        let c = &group.change;
        let count = |k: ObjectChangeKind| c.objects.iter().filter(|o| o.kind == k).count();
        let mut lines = vec![format!(
            "{} setting(s), {} finding(s) introduced, {} resolved; objects +{} ~{} -{}",
            c.settings.len(),
            c.findings.iter().filter(|f| f.introduced).count(),
            c.findings.iter().filter(|f| !f.introduced).count(),
            count(ObjectChangeKind::Added),
            count(ObjectChangeKind::Changed),
            count(ObjectChangeKind::Removed),
        )];
        for x in &c.settings {
            lines.push(format!(
                "{}: {}",
                x.key,
                arrow(x.before.as_deref(), x.after.as_deref())
            ));
        }
        for o in &c.objects {
            lines.push(format!("{} {}", object_sign(o.kind), o.object));
        }
        if let Some(note) = &c.note {
            lines.push(format!("note: {note}"));
        }
        let title = format!("{} [{}]", names(group), status_word(c.status));
        out.push_str(&format!(
            "::notice title={}::{}\n",
            property(&title),
            data(&lines.join("\n"))
        ));
        for f in c.findings.iter().filter(|f| f.introduced) {
            let level = match f.severity.as_str() {
                "error" => "error",
                "warning" => "warning",
                _ => "notice",
            };
            out.push_str(&format!(
                "::{level} title={}::{}\n",
                property(&format!(
                    "{} {} introduced in {}",
                    f.severity,
                    f.code,
                    names(group)
                )),
                data(&f.message)
            ));
        }
    }
    if !report.fleet.is_empty() {
        let lines: Vec<String> = report
            .fleet
            .iter()
            .map(|o| format!("{} {}", object_sign(o.kind), o.object))
            .collect();
        out.push_str(&format!(
            "::notice title={}::{}\n",
            property("fleet-wide objects (_fleet/)"),
            data(&lines.join("\n"))
        ));
    }
    out
}

/// Markdown for a pull-request comment: a summary table, then one collapsible section per
/// group of environments. Truncated with a note to stay under [`MARKDOWN_LIMIT`].
pub fn markdown(report: &DiffReport) -> String {
    let mut head = format!(
        "## ck8s-gen: rendered changes\n\n`{}` → `{}`: **{}**\n",
        report.base,
        report.head,
        headline(report)
    );
    if report.is_empty() {
        head.push_str("\nNo environment changes what any cluster receives.\n");
        return head;
    }
    head.push_str(
        "\n| environment | status | settings | compliance | objects |\n|---|---|---|---|---|\n",
    );
    for group in &report.groups {
        let c = &group.change;
        let introduced = c.findings.iter().filter(|f| f.introduced).count();
        let resolved = c.findings.len() - introduced;
        let count = |k: ObjectChangeKind| c.objects.iter().filter(|o| o.kind == k).count();
        head.push_str(&format!(
            "| {} | {} | {} | {} | +{} ~{} -{} |\n",
            crate::text::markdown_cell(&group.environments.join(", ")),
            status_word(c.status),
            c.settings.len(),
            if c.findings.is_empty() {
                "–".to_owned()
            } else {
                format!("+{introduced} / -{resolved}")
            },
            count(ObjectChangeKind::Added),
            count(ObjectChangeKind::Changed),
            count(ObjectChangeKind::Removed),
        ));
    }
    if !report.fleet.is_empty() {
        let count = |k: ObjectChangeKind| report.fleet.iter().filter(|o| o.kind == k).count();
        head.push_str(&format!(
            "| _fleet-wide objects_ | changed | – | – | +{} ~{} -{} |\n",
            count(ObjectChangeKind::Added),
            count(ObjectChangeKind::Changed),
            count(ObjectChangeKind::Removed),
        ));
    }
    let mut body = String::new();
    let mut omitted = 0;
    let fleet = (!report.fleet.is_empty()).then(|| markdown_fleet(&report.fleet));
    let sections = report.groups.iter().map(markdown_section).chain(fleet);
    let total = report.groups.len() + usize::from(!report.fleet.is_empty());
    for (i, section) in sections.enumerate() {
        if head.len() + body.len() + section.len() + 400 > MARKDOWN_LIMIT {
            omitted = total - i;
            break;
        }
        body.push_str(&section);
    }
    let mut out = head;
    out.push_str(&body);
    if omitted > 0 {
        out.push_str(&format!(
            "\n> **Truncated:** the details of {omitted} more {} do not fit in one comment. Run `ck8s-gen diff --base {}` locally for the full diff.\n",
            crate::text::plural(omitted, "group"),
            report.base
        ));
    }
    out
}

fn markdown_section(group: &ChangeGroup) -> String {
    let c = &group.change;
    let mut s = format!(
        "\n<details><summary><b>{}</b> ({})</summary>\n\n",
        escape_html(&names(group)),
        status_word(c.status)
    );
    if !c.settings.is_empty() {
        s.push_str("**Settings**\n\n");
        for x in &c.settings {
            s.push_str(&format!(
                "- `{}`: `{}` → `{}`\n",
                x.key,
                x.before.as_deref().unwrap_or("(unset)"),
                x.after.as_deref().unwrap_or("(unset)")
            ));
        }
        s.push('\n');
    }
    if !c.findings.is_empty() {
        s.push_str("**Compliance**\n\n```diff\n");
        for f in &c.findings {
            s.push_str(&format!(
                "{} {} {} {}\n",
                if f.introduced { '+' } else { '-' },
                f.severity,
                f.code,
                f.message
            ));
        }
        s.push_str("```\n\n");
    }
    if let Some(note) = &c.note {
        s.push_str(&format!("> {note}\n\n"));
    }
    markdown_objects(&mut s, &c.objects);
    close_details(s)
}

/// The fleet-wide objects (`_fleet/`: the Argo CD ApplicationSets) as one collapsible section.
fn markdown_fleet(objects: &[ObjectChange]) -> String {
    let mut s =
        "\n<details><summary><b>fleet-wide objects</b> (_fleet/, not an environment)</summary>\n\n"
            .to_owned();
    markdown_objects(&mut s, objects);
    close_details(s)
}

/// The list of changed objects and their diff.
fn markdown_objects(s: &mut String, objects: &[ObjectChange]) {
    if objects.is_empty() {
        return;
    }
    s.push_str("**Objects**\n\n");
    for o in objects {
        let word = match o.kind {
            ObjectChangeKind::Added => "added",
            ObjectChangeKind::Removed => "removed",
            ObjectChangeKind::Changed => "changed",
        };
        s.push_str(&format!("- {word} `{}`\n", o.object));
    }
    s.push_str("\n```diff\n");
    for o in objects {
        s.push_str(&o.diff.replace("```", "`\u{200b}``"));
    }
    s.push_str("```\n");
}

/// End a `<details>` section with exactly one blank line before `</details>`.
fn close_details(mut s: String) -> String {
    while s.ends_with("\n\n") {
        s.pop();
    }
    s.push_str("\n</details>\n");
    s
}

fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The report as one JSON document.
pub fn to_json(report: &DiffReport) -> String {
    let mut text =
        serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::{EnvironmentChange, ObjectChange, ObjectKey};

    #[test]
    fn markdown_stays_under_the_comment_limit_with_a_note() {
        let big = format!("@@ -1 +1 @@\n{}", "-x\n+y\n".repeat(2_000));
        let groups = (0..40)
            .map(|i| ChangeGroup {
                environments: vec![format!("env-{i:02}")],
                change: EnvironmentChange {
                    environment: format!("env-{i:02}"),
                    status: EnvironmentStatus::Changed,
                    settings: Vec::new(),
                    findings: Vec::new(),
                    objects: vec![ObjectChange {
                        kind: ObjectChangeKind::Changed,
                        object: ObjectKey::new("v1", "ConfigMap", Some("velero"), &format!("c{i}")),
                        diff: format!("{big}{i}\n"),
                    }],
                    note: None,
                },
            })
            .collect();
        let report = DiffReport {
            version: crate::diff::JSON_VERSION,
            base: "main".into(),
            head: "working tree".into(),
            groups,
            fleet: Vec::new(),
            unchanged_environments: 0,
        };
        let text = markdown(&report);
        assert!(text.len() <= MARKDOWN_LIMIT, "{}", text.len());
        assert!(text.contains("**Truncated:**"));
        assert!(
            text.contains("| env-39 |"),
            "the summary table lists every environment"
        );
    }
}
