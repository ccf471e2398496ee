//! Support code shared by tests and benchmarks, never part of a shipped crate.

pub mod synthetic;
