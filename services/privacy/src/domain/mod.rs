//! The privacy context's rules, pure and synchronous.
//!
//! - [`files`]: per person, what holds their data (an exit restriction,
//!   an open alert they reported, an open theft case on their bike) and
//!   which streams name them.
//! - [`record`]: the record of forgets, refusals and exports, one stream
//!   per person (`privacy.person.<person key>`).

pub mod files;
pub mod record;
