//! Velero's own value languages, ported exactly so ck8s-gen accepts what Velero accepts: Go
//! `time.Duration` strings (`duration`), robfig/cron v3 schedules with time zones (`cron`), and
//! calendar dates (`dates`). Depends on nothing but `text`.

pub mod cron;
pub mod dates;
pub mod duration;
