//! Semantic checks a schema cannot express, one file per concern, each finding with its
//! [`Code`](crate::diagnostic::Code); this module runs them (the fleet-wide rules are `validate::fleet`).

mod alerts;
mod chart;
mod downstream;
mod facts;
mod gitops;
mod lock;
mod offsite;
mod provider;
mod restore_test;
mod retention;
mod schedule;
mod scope;
mod secrets;

pub use facts::Derived;
pub use secrets::secrets_in_values;

use crate::diagnostic::Diagnostic;
use crate::environment::load::LoadedEnvironment;
use crate::environment::model::Environment;

/// One environment's checks: where its values are, and the findings so far.
struct Ctx<'a> {
    loaded: &'a LoadedEnvironment,
    out: Vec<Diagnostic>,
}

impl Ctx<'_> {
    fn at(&self, pointer: &str) -> Option<crate::source::Location> {
        self.loaded.provenance.value_location(pointer)
    }

    fn push(&mut self, d: Diagnostic) {
        self.out.push(d);
    }
}

/// Every semantic finding of one schema-valid environment.
pub fn semantic(loaded: &LoadedEnvironment, env: &Environment) -> Vec<Diagnostic> {
    let mut cx = Ctx {
        loaded,
        out: Vec::new(),
    };
    schedule::check(&mut cx, env);
    retention::check(&mut cx, env);
    lock::check(&mut cx, env);
    provider::check(&mut cx, env);
    offsite::check(&mut cx, env);
    scope::check(&mut cx, env);
    gitops::check(&mut cx, env);
    chart::check(&mut cx, env);
    restore_test::check(&mut cx, env);
    alerts::check(&mut cx, env);
    downstream::check(&mut cx, env);
    cx.out
}
