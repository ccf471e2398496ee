//! The site as a whole: load and check everything content/ holds, plan every output address and
//! the navigation, then render each page (in parallel) to a sink.

mod load;
mod navigation;
mod plan;
mod render;

pub use load::{Site, load, load_declared};
pub use render::Rendered;
