//! A registration request as the domain sees it: every field already checked, so a value of these
//! types is always valid (parse, don't validate). [`parse`] turns the form's answers into one, or
//! into the list of problems, each named next to its field in French.

mod correct;
mod fields;
mod parse;

pub use correct::*;
pub use fields::*;
pub use parse::*;
