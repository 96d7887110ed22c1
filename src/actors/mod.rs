//! Every live thing is an actor (DESIGN.md): the registry routes frames,
//! one `EventActor` per live event is the single writer for that event, and
//! `RoundTimer` / `Countdown` tick from their deadlines.

pub mod countdown;
pub mod directory;
pub mod event;
pub mod leaderboard;
pub mod purchase;
pub mod rating;
pub mod registry;
pub mod round_timer;
mod ticker;

pub use directory::Directory;
pub use event::EventActor;
pub use registry::Registry;
