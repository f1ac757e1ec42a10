//! Scenarios: JavaScript that runs inside Strongroom and reads its application's secrets with
//! `VoxEngine.getSecretValue`. `runtime` is the sandbox; `worker` runs it in a child process
//! the server can kill; `runner` connects it to the store (secret reads audited with the
//! scenario's name, runs recorded) for the panel and the CLI.

mod runner;
#[cfg(test)]
mod runner_tests;
pub mod runtime;
#[cfg(test)]
mod runtime_tests;
pub mod worker;

pub use runner::{RunError, ScenarioRunner};
pub use runtime::Limits;
