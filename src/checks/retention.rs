//! The retention against the decided minimum (`backup.retention.minDays`).

use super::{Ctx, Derived};
use crate::diagnostic::{Code, Diagnostic};
use crate::environment::model::Environment;
use crate::text::days_text;

pub(super) fn check(cx: &mut Ctx<'_>, env: &Environment) {
    let Some(days) = Derived::retention_days(env) else {
        return;
    };
    if let Some(min) = env.backup.retention.min_days
        && days < i64::from(min)
    {
        cx.push(
            Diagnostic::error(
                Code::RetentionBelowMinimum,
                format!(
                    "retention is {}, below the decided minimum of {min} days",
                    days_text(days)
                ),
            )
            .at(cx.at("/backup/retention/ttl"), days_text(days))
            .also(cx.at("/backup/retention/minDays"), "decided minimum")
            .help(format!(
                "raise `ttl` to at least `{}h`, or revisit the decision",
                u64::from(min) * 24
            )),
        );
    }
}
