//! `gitops.chartValues` against the velero chart's own values and schema.

use super::Ctx;
use crate::diagnostic::{Code, Diagnostic};
use crate::environment::model::Environment;
use crate::schema::dotted;
use serde_json::Value;

/// `gitops.chartValues`: every key a value of the velero chart (did-you-mean otherwise), none
/// that ck8s-gen sets itself, and the chart's `values.schema.json` satisfied.
pub(super) fn check(cx: &mut Ctx<'_>, env: &Environment) {
    let Some(values) = &env.gitops.chart_values else {
        return;
    };
    let values = Value::Object(values.clone());
    let base = "/gitops/chartValues";
    let chart = crate::schema::chart::Chart::embedded();
    let unknown = chart.unknown_keys(&values);
    for p in &unknown {
        let pointer = format!("{base}{}", p.pointer);
        let mut d = Diagnostic::error(Code::UnknownChartValue, p.message.clone()).at(
            cx.loaded
                .provenance
                .key_location(&pointer)
                .or_else(|| cx.at(&pointer)),
            "not a value of the chart",
        );
        d = match &p.suggestion {
            Some(s) => d.help(format!(
                "did you mean `{s}`? (the keys are those of the chart's values.yaml)"
            )),
            None => d.help(
                "see the chart's values.yaml (`schemas/velero-chart/values.yaml`) for its values",
            ),
        };
        cx.push(d);
    }
    for (pointer, instead) in crate::schema::chart::owned_conflicts(&values) {
        let at = format!("{base}{pointer}");
        cx.push(
            Diagnostic::error(
                Code::ChartValueOwned,
                format!(
                    "`{}` is set by ck8s-gen; passing it through would bypass its checks",
                    dotted(&at)
                ),
            )
            .at(
                cx.loaded
                    .provenance
                    .key_location(&at)
                    .or_else(|| cx.at(&at)),
                "set by ck8s-gen",
            )
            .help(format!(
                "remove it from `gitops.chartValues`; use {instead}"
            )),
        );
    }
    if unknown.is_empty() {
        for p in chart.schema_problems(&values) {
            let pointer = format!("{base}{}", p.pointer);
            let at = cx.at(&pointer);
            cx.push(
                Diagnostic::error(Code::InvalidChartValue, p.message)
                    .at(at.or_else(|| cx.at(base)), "against the chart's schema")
                    .help("give the value the type the chart's values.schema.json asks for"),
            );
        }
    }
}
