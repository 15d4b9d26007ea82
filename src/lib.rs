pub mod cron;
pub mod duration;
