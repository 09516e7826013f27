//! kharden: facts → rules → findings → emitters.
//!
//! `probe` reads facts under a root, `policy` holds rules as data, `audit` evaluates them
//! (pure), `report` renders findings. `cli` is the thin layer the binary calls.

pub mod audit;
pub mod cli;
pub mod files;
pub mod modules;
pub mod policy;
pub mod probe;
pub mod remedy;
pub mod report;
