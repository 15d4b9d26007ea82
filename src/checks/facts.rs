//! Facts derived from an environment that several checks and the profiles read: retention in
//! days and hours, the schedule's longest gap, and the generations they make.

use crate::environment::model::Environment;
use crate::velero::cron::parse_velero_cron;
use crate::velero::duration::parse_go_duration;

/// Facts derived from an environment that several checks (and the profiles) need.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Derived {
    /// Retention in whole days, when the TTL parses.
    pub retention_days: Option<i64>,
    /// Retention in hours.
    pub retention_hours: Option<f64>,
    /// Largest gap between two backups, in hours.
    pub interval_hours: Option<f64>,
    /// How many backups exist at once: retention / interval.
    pub generations: Option<f64>,
}

impl Derived {
    /// The retention in whole days, when the TTL parses (without reading the schedule).
    pub fn retention_days(env: &Environment) -> Option<i64> {
        parse_go_duration(&env.backup.retention.ttl)
            .ok()
            .map(|d| d.whole_days())
    }

    pub fn of(env: &Environment) -> Derived {
        let ttl = parse_go_duration(&env.backup.retention.ttl).ok();
        let interval = parse_velero_cron(&env.backup.schedule)
            .ok()
            .map(|c| c.max_interval_hours());
        let retention_hours = ttl.as_ref().map(|d| d.as_hours_f64());
        Derived {
            retention_days: ttl.as_ref().map(|d| d.whole_days()),
            retention_hours,
            interval_hours: interval,
            generations: match (retention_hours, interval) {
                (Some(r), Some(i)) if i > 0.0 => Some(r / i),
                _ => None,
            },
        }
    }
}
