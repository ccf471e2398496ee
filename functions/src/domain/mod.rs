//! The domain: what a request is, how it is read from a form, how urgent it is, how it moves
//! from one state to the next, and which doctor fits it. Pure types and rules: no I/O, no HTTP,
//! no store — the layers above call them.

pub mod aci;
pub mod answers;
pub mod communes;
pub mod dates;
pub mod declarations;
pub mod indicators;
pub mod intake;
pub mod joining;
pub mod lifecycle;
pub mod matching;
pub mod next_steps;
pub mod phone;
pub mod priority;
pub mod public_figures;
pub mod reference;
pub mod registration;
pub mod retention;
pub mod search;
pub mod staff;
pub mod text;
