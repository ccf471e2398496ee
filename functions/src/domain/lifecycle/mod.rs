//! The life of a request after registration, as an explicit state machine (issue #6).
//!
//! A request is a [`Case`]; each doctor proposed for it is a [`Proposal`]:
//!
//! ```text
//! proposed ──validate──▶ validated ──accept──▶ accepted ──inform──▶ informed ──close──▶ closed
//!    │                      │                     └────────────close─────────────────────▲
//!    ├─reject (reason)      ├─decline / pause
//!    ├─expire               ├─expire
//!    └─withdraw             └─withdraw            (rejected, declined, expired, withdrawn: the
//!                                                   case waits again and the next doctor is proposed)
//! ```
//!
//! The functions below are pure: each checks that its transition is legal and returns the
//! [`Transition`] (conditional writes, mails, audit entries) that a Store applies atomically — or
//! nothing at all if the case or the proposal changed in the meantime.

mod effects;
mod states;
mod transitions;

mod actions;
mod privacy;

pub use actions::*;
pub use effects::{
    AuditEntry, CallOutcome, DoctorOp, EntryKind, Mail, Request, TimelineEntry, Transition,
};
pub use privacy::*;
pub use states::*;
pub use transitions::*;
