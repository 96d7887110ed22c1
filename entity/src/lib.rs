//! sea-orm entities: the persisted shape of emcee. Schema changes live in
//! the `migration` crate; these types only mirror them.

pub mod announcement;
pub mod category;
pub mod category_judge;
pub mod certification;
pub mod countdown;
pub mod criterion;
pub mod event;
pub mod event_member;
pub mod fixture;
pub mod judging_state;
pub mod league_settings;
pub mod notification;
pub mod purchase;
pub mod rating;
pub mod rating_item;
pub mod rating_session;
pub mod round;
pub mod score;
pub mod system_announcement;
pub mod team;
pub mod team_member;
pub mod user;
