//! Scenarios: JavaScript that runs inside Strongroom and reads its application's secrets with
//! `VoxEngine.getSecretValue`. `runtime` is the sandbox; `worker` runs it in a child process
//! the server can kill, which `confine` hands over to the kernel's limits; `runner` connects
//! it to the store (secret reads audited with the scenario's name, runs recorded, run slots
//! shared fairly) for the panel and the CLI.

pub mod confine;
mod runner;
#[cfg(test)]
mod runner_tests;
pub mod runtime;
#[cfg(test)]
mod runtime_tests;
pub mod worker;
#[cfg(test)]
mod worker_tests;

pub use runner::{RunError, ScenarioRunner};
pub use runtime::Limits;
