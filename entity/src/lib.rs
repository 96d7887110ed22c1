//! sea-orm entities: the persisted shape of emcee. Schema changes live in
//! the `migration` crate; these types only mirror them.

pub mod announcement;
pub mod countdown;
pub mod event;
pub mod event_member;
pub mod round;
pub mod user;
