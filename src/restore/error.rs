//! Why a restore cannot be planned: the validation, rendering or context failed, or the request
//! names something that is not there.

use crate::render::RenderError;
use crate::render::context;
use crate::validate::ValidateError;

#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error(transparent)]
    Validate(#[from] ValidateError),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error(transparent)]
    Context(#[from] context::ContextError),
    /// Bad input: an unknown environment or schedule, an impossible mapping.
    #[error("{0}")]
    Usage(String),
}

pub(super) fn usage(message: impl Into<String>) -> RestoreError {
    RestoreError::Usage(message.into())
}
