//! Who is calling: sign-in sessions and their cookies, CSRF protection, throttling. The
//! browser half (`client`) adds the CSRF header to every server function call; the server
//! half (`server`) resolves sessions and holds the sign-in policy.

pub mod client;
#[cfg(feature = "ssr")]
mod server;

pub use client::PanelClient;
#[cfg(feature = "ssr")]
pub use server::*;
