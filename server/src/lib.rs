//! The `strongroom` server, as a library for its binary (`main.rs`) and for tests: `cli` is the
//! command line, `commands/` holds one file per subcommand, `http/` the router and its layers,
//! `platform_api/` the Management API. Integration tests drive `http::router` in process
//! (`tests/it/in_process/`) or start the real binary (the other modules of `tests/it/`).
// Leptos view types nest deeply: rendering the panel's routes needs more than the default 128.
#![recursion_limit = "256"]

pub mod cli;
pub mod commands;
pub mod http;
pub mod master_key;
pub mod platform_api;
