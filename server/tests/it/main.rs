//! The server's integration tests, one binary with a module per subject: a real `strongroom`
//! process over HTTP (`support` starts it), except `in_process/`, which drives the router
//! without a socket. One binary links once and shares one copy of `support`.

mod auth;
mod delete_lists;
mod early_errors;
mod headers;
mod http_limits;
mod in_process;
mod openapi_contract;
mod panel_api;
mod platform_api;
mod platform_api_fuzz;
mod scenario_worker;
mod scenarios;
mod secret_import_and_paging;
mod service_account_keys;
mod sign_in_limits;
mod storage;
mod support;
mod user_cli;
