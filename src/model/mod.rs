//! Domain vocabulary shared by every layer: typed ids, roles, statuses.

mod ids;
mod notice;
mod role;
mod status;

pub use ids::{AnnouncementId, NotificationId};
pub use ids::{CategoryId, CountdownId, EventId, PurchaseId, RoundId, ScoreId, TeamId, UserId};
pub use notice::{AnnouncementKind, NotificationKind, Priority, Target};
pub use role::{MemberRole, Role, Visibility};
pub use status::{CountdownStatus, Phase, RoundStatus};
