//! TEMPORARY placeholder while the real Go duration parser lands (branch `parsers`).

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GoDuration {
    nanos: i128,
}

#[derive(Debug, Clone)]
pub struct DurationError {
    pub message: String,
    pub suggestion: Option<String>,
}

pub fn parse_go_duration(s: &str) -> Result<GoDuration, DurationError> {
    let hours: f64 = s
        .strip_suffix('h')
        .and_then(|n| n.parse().ok())
        .ok_or(DurationError {
            message: format!("invalid duration {s:?}"),
            suggestion: None,
        })?;
    Ok(GoDuration {
        nanos: (hours * 3.6e12) as i128,
    })
}

impl GoDuration {
    pub fn as_nanos(&self) -> i128 {
        self.nanos
    }
    pub fn as_hours_f64(&self) -> f64 {
        self.nanos as f64 / 3.6e12
    }
    pub fn whole_days(&self) -> i64 {
        (self.nanos / 86_400_000_000_000) as i64
    }
    pub fn canonical(&self) -> String {
        format!("{}h0m0s", self.nanos / 3_600_000_000_000)
    }
}
