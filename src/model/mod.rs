//! Domain vocabulary shared by every layer: typed ids, roles, statuses.

mod ids;
mod notice;
mod purchase;
mod rating;
mod role;
mod status;

pub use ids::{AnnouncementId, NotificationId};
pub use ids::{CategoryId, CountdownId, EventId, PurchaseId, RoundId, ScoreId, TeamId, UserId};
pub use ids::{RatingItemId, RatingSessionId};
pub use notice::{AnnouncementKind, NotificationKind, Priority, Target};
pub use purchase::PurchaseStatus;
pub use rating::{SessionStatus, Stars};
pub use role::{MemberRole, Role, Visibility};
pub use status::{CountdownStatus, Phase, RoundStatus};
mod fixture;
pub use fixture::FixtureStatus;
pub use ids::FixtureId;
