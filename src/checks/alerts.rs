//! Backup alerts that can fire: alert rules need Velero's metrics.

use super::Ctx;
use crate::diagnostic::{Code, Diagnostic};
use crate::environment::model::Environment;

/// `monitoring.alertOnFailure` renders PrometheusRules only where metrics are scraped (the
/// chart's ServiceMonitor, `gitops.metrics`): without them the alerts would never fire.
pub(super) fn check(cx: &mut Ctx<'_>, env: &Environment) {
    if env.monitoring.alert_on_failure && !env.gitops.metrics && env.backup.enabled {
        cx.push(
            Diagnostic::warning(
                Code::AlertsWithoutMetrics,
                "`monitoring.alertOnFailure` is on but Velero's metrics are off: no alert rules are rendered, and backup failures go unnoticed",
            )
            .at(cx.at("/gitops/metrics"), "metrics off")
            .also(cx.at("/monitoring/alertOnFailure"), "alerts wanted")
            .help("set `gitops.metrics: true` (the chart's ServiceMonitor; needs the Prometheus Operator)"),
        );
    }
}
