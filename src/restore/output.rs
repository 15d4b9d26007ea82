//! What planning a restore produces: the objects to apply, the cluster they go to, warnings and the
//! checklist, with the validation behind them.

use crate::render::objects::Object;
use crate::validate::Outcome;

/// What to apply, where, and what the operator must do around it.
#[derive(Clone, Debug)]
pub struct Plan {
    pub environment: String,
    /// The environment whose cluster the objects are applied in.
    pub cluster: String,
    pub objects: Vec<Object>,
    pub warnings: Vec<String>,
    pub checklist: String,
}

impl Plan {
    /// The objects as one `---`-separated YAML stream.
    pub fn stream(&self) -> Result<String, crate::yaml::WriteError> {
        let mut out = String::new();
        for o in &self.objects {
            out.push_str("---\n");
            out.push_str(&o.to_yaml()?);
        }
        Ok(out)
    }
}

/// The result of planning: the validation (whose findings about the environments involved
/// are worth showing) and the plan, absent when the environment has validation errors.
pub struct Planned {
    pub outcome: Outcome,
    /// Environments whose findings matter to this restore.
    pub involved: Vec<String>,
    pub plan: Option<Plan>,
}
