//! What the browser and the server share: the types that cross the wire (`model`) and the
//! rules every input must keep (`validation`), compiled into both the wasm bundle and the
//! server, so a rule is written once and the browser and the server cannot disagree.

pub mod model;
pub mod validation;
