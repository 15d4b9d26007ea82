//! TEMPORARY placeholder while the real Velero cron parser lands (branch `parsers`).

#[derive(Debug, Clone)]
pub struct CronSchedule {
    text: String,
}

#[derive(Debug, Clone)]
pub struct CronError {
    pub message: String,
    pub suggestion: Option<String>,
}

pub fn parse_velero_cron(s: &str) -> Result<CronSchedule, CronError> {
    if s.split_whitespace().count() == 5 || s.starts_with('@') {
        Ok(CronSchedule { text: s.to_owned() })
    } else {
        Err(CronError {
            message: "expected 5 fields".to_owned(),
            suggestion: None,
        })
    }
}

impl CronSchedule {
    pub fn max_interval_hours(&self) -> f64 {
        24.0
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}
