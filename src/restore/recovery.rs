//! Disaster recovery from the off-site copy (`--from-offsite`): whether Velero reads it in place or
//! it is copied back first.

use super::copy_back::copy_back_plan;
use super::error::{RestoreError, usage};
use super::lookup::{Cx, velero_of};
use super::output::Plan;
use super::point_in_time::point_in_time;
use super::read_in_place::read_in_place_plan;
use crate::render::context;

/// Disaster recovery from the off-site copy.
///
/// `at` (RFC 3339) always copies back: Velero reads only the current objects of a bucket, so
/// the state of an earlier time (before a wipe reached the copy) is first restored by rclone
/// from the object versions.
pub(super) fn offsite_plan(cx: &Cx<'_>, at: Option<&str>) -> Result<Plan, RestoreError> {
    let env = cx.env;
    let name = &env.metadata.name;
    let offsite = &env.replication.offsite;
    let Some(manager) = cx.manager else {
        return Err(usage(if offsite.enabled {
            format!(
                "environment `{name}` has no replication job: a workload cluster's off-site copy is made by a management environment (`replication.offsite.managedBy`)"
            )
        } else {
            format!(
                "environment `{name}` has no off-site copy (`replication.offsite.enabled` is false)"
            )
        }));
    };
    let at = at.map(|text| point_in_time(text, env)).transpose()?;
    let velero = velero_of(cx.view, name)?;
    match context::offsite_location(env).filter(|_| !offsite.encrypt.enabled && at.is_none()) {
        Some(location) => read_in_place_plan(cx, velero, &location),
        None => copy_back_plan(cx, velero, manager, at.as_deref()),
    }
}
