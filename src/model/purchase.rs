//! A ticket purchase's status and the moves between them.

use serde::Serialize;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PurchaseStatus {
    Pending,
    Paid,
    Issued,
    Refunded,
}

impl PurchaseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PurchaseStatus::Pending => "pending",
            PurchaseStatus::Paid => "paid",
            PurchaseStatus::Issued => "issued",
            PurchaseStatus::Refunded => "refunded",
        }
    }

    /// Unknown stored values read as refunded: a status the code does not
    /// understand must never become issuable.
    pub fn parse_stored(s: &str) -> Self {
        s.parse().unwrap_or(PurchaseStatus::Refunded)
    }

    /// pending → paid → issued; paid or issued → refunded. Nothing else,
    /// and never back: a refunded ticket is final.
    pub fn may_become(self, next: PurchaseStatus) -> bool {
        use PurchaseStatus::*;
        matches!(
            (self, next),
            (Pending, Paid) | (Paid, Issued) | (Paid | Issued, Refunded)
        )
    }
}

impl FromStr for PurchaseStatus {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "pending" => Ok(PurchaseStatus::Pending),
            "paid" => Ok(PurchaseStatus::Paid),
            "issued" => Ok(PurchaseStatus::Issued),
            "refunded" => Ok(PurchaseStatus::Refunded),
            _ => Err(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::PurchaseStatus::{self, *};

    #[test]
    fn only_the_documented_moves_are_allowed() {
        let all = [Pending, Paid, Issued, Refunded];
        let allowed = [(Pending, Paid), (Paid, Issued), (Paid, Refunded), (Issued, Refunded)];
        for from in all {
            for to in all {
                assert_eq!(from.may_become(to), allowed.contains(&(from, to)), "{from:?} → {to:?}");
            }
        }
        for s in all {
            assert_eq!(PurchaseStatus::parse_stored(s.as_str()), s);
        }
        assert_eq!(PurchaseStatus::parse_stored("lost"), Refunded);
    }
}
