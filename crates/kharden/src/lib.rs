//! kharden: facts → rules → findings → emitters.
//!
//! `files` is the one way to the file system (roots held by descriptor, atomic writes),
//! `probe` reads facts under a root, `policy` holds rules as data, `audit` evaluates them
//! (pure), `fleet` reduces many hosts' audits to one report, `remedy` turns failures into
//! changes, `modules` walks, signs and verifies module trees, `report` renders every output. The command line lives in the binary (src/cli/):
//! this library never prints.
#![deny(clippy::print_stdout, clippy::print_stderr, clippy::dbg_macro)]

pub mod audit;
pub mod files;
pub mod fleet;
pub mod generator;
pub mod modules;
pub mod policy;
pub mod probe;
pub mod remedy;
pub mod report;
pub mod term;
