//! The cases, by what they exercise. Each takes a fresh backend.

mod durability;
mod reads;
mod refusals;
mod writes;

pub use durability::*;
pub use reads::*;
pub use refusals::*;
pub use writes::*;
