//! GitOps settings the rendered objects work with: the chart version and source, the Git
//! repository Argo CD needs, settings of the other engine.

use super::Ctx;
use crate::diagnostic::{Code, Diagnostic};
use crate::environment::model::Environment;

pub(super) fn check(cx: &mut Ctx<'_>, env: &Environment) {
    let version = &env.gitops.chart.version;
    if !version.starts_with("12.") {
        cx.push(
            Diagnostic::warning(
                Code::UntestedChartVersion,
                format!(
                    "the velero chart {version} is not the 12.x series ck8s-gen renders values for"
                ),
            )
            .at(cx.at("/gitops/chart/version"), "chart version")
            .help(
                "use a 12.x version (e.g. `12.1.0`); other versions have renamed or removed values",
            ),
        );
    }
    let oci_chart = env.gitops.chart.repository.starts_with("oci://");
    if env.gitops.engine == crate::environment::model::Engine::Flux {
        let oci_source = env.gitops.flux.chart_source == "ociRepository";
        if oci_source != oci_chart {
            let (message, help) = if oci_source {
                (
                    "`chartSource: ociRepository` needs an `oci://` chart repository",
                    "set `chart.repository: oci://ghcr.io/vmware-tanzu/charts/velero`, or `chartSource: helmRepository`",
                )
            } else {
                (
                    "the chart repository is an OCI registry but `chartSource` is `helmRepository`",
                    "set `gitops.flux.chartSource: ociRepository` (Flux HelmRepository of type oci is in maintenance mode)",
                )
            };
            cx.push(
                Diagnostic::error(Code::ChartSourceMismatch, message)
                    .at(cx.at("/gitops/flux/chartSource"), "chart source")
                    .also(cx.at("/gitops/chart/repository"), "chart repository")
                    .help(help),
            );
        }
    }
    if env.gitops.engine == crate::environment::model::Engine::Argocd
        && env
            .gitops
            .repository
            .as_ref()
            .and_then(|r| r.url.as_ref())
            .is_none()
    {
        cx.push(
            Diagnostic::error(
                Code::GitopsRepositoryUrlMissing,
                "Argo CD needs the URL of the Git repository that holds the rendered tree",
            )
            .at(cx.at("/gitops"), "engine: argocd")
            .help("add `gitops.repository.url` (e.g. in `environments/common.yaml`)"),
        );
    }
    if env.gitops.argocd.source == "plugin"
        && env.gitops.engine != crate::environment::model::Engine::Argocd
    {
        cx.push(
            Diagnostic::warning(
                Code::UnusedSetting,
                "`gitops.argocd.source` only applies with `engine: argocd`",
            )
            .at(cx.at("/gitops/argocd/source"), "ignored"),
        );
    }
}
