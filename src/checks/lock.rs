//! Object lock on the backup and off-site buckets against the retention it must not outlive.

use super::{Ctx, Derived};
use crate::diagnostic::{Code, Diagnostic};
use crate::environment::model::{Environment, ObjectLock};

pub(super) fn check(cx: &mut Ctx<'_>, env: &Environment) {
    let Some(days) = Derived::retention_days(env) else {
        return;
    };
    for (pointer, lock) in [
        ("/storage/objectLock", env.storage.object_lock.as_ref()),
        (
            "/replication/offsite/objectLock",
            env.replication.offsite.object_lock.as_ref(),
        ),
    ] {
        if let Some(lock_days) = ObjectLock::active_days(lock)
            && i64::from(lock_days) > days
        {
            cx.push(
                    Diagnostic::error(Code::ObjectLockOutlivesRetention, format!("object lock keeps objects {lock_days} days, longer than the {days}-day retention"))
                        .at(cx.at(&format!("{pointer}/days")), "lock period")
                        .also(cx.at("/backup/retention/ttl"), "retention")
                        .help(format!("set `days: {days}` (equal to the retention): expired backups cannot be deleted while locked, which breaks garbage collection and the GDPR erasure promise")),
                );
        }
        if lock.is_some_and(|l| l.enabled && l.days.is_none()) {
            cx.push(
                Diagnostic::error(
                    Code::ObjectLockDaysMissing,
                    "object lock is enabled without a lock period",
                )
                .at(cx.at(pointer), "lock without days")
                .help(format!("add `days: {days}` (equal to the retention)")),
            );
        }
    }
}
