//! Validation shared by handlers: numbers arrive as JSON numbers of any
//! shape and are checked here, so a negative or fractional value is a 422
//! with a clear message rather than a parse error.

use crate::error::{AppError, AppResult};
use serde::Deserialize;
use std::time::Duration;

/// A whole number within `min..=max`.
pub fn whole(name: &str, v: f64, min: i64, max: i64) -> AppResult<i64> {
    if v.fract() != 0.0 || !v.is_finite() || v < min as f64 || v > max as f64 {
        return Err(AppError::Invalid(format!(
            "{name} must be a whole number from {min} to {max}"
        )));
    }
    Ok(v as i64)
}

/// Seed 000's `additional_minutes`, or `additional_seconds`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Extension {
    pub additional_minutes: Option<f64>,
    pub additional_seconds: Option<f64>,
}

impl Extension {
    pub fn duration(&self) -> AppResult<Duration> {
        let secs = match (self.additional_minutes, self.additional_seconds) {
            (Some(m), None) => whole("additional_minutes", m, 1, 60)? * 60,
            (None, Some(s)) => whole("additional_seconds", s, 1, 3600)?,
            _ => {
                return Err(AppError::Invalid(
                    "give exactly one of additional_minutes or additional_seconds".into(),
                ))
            }
        };
        Ok(Duration::from_secs(secs.unsigned_abs()))
    }
}

/// A trimmed, non-empty string of at most `max` characters.
pub fn text(name: &str, v: &str, max: usize) -> AppResult<String> {
    let t = v.trim();
    if t.is_empty() || t.chars().count() > max {
        return Err(AppError::Invalid(format!("{name} must be 1 to {max} characters")));
    }
    // PostgreSQL text cannot hold NUL; refuse it the same on every database.
    if t.contains('\0') {
        return Err(AppError::Invalid(format!("{name} must not contain NUL characters")));
    }
    Ok(t.to_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn text_is_trimmed_bounded_and_free_of_nul() {
        assert_eq!(text("name", "  Red  ", 10).unwrap(), "Red");
        assert!(text("name", "   ", 10).is_err());
        assert!(text("name", "elevenchars", 10).is_err());
        assert!(text("name", "nul\0inside", 20).is_err());
        assert_eq!(text("message", "two\nlines", 20).unwrap(), "two\nlines");
    }

    #[test]
    fn extensions_accept_whole_values_in_range_only() {
        let ext = |m: Option<f64>, s: Option<f64>| {
            Extension {
                additional_minutes: m,
                additional_seconds: s,
            }
            .duration()
        };
        assert_eq!(ext(Some(2.0), None).unwrap(), Duration::from_secs(120));
        assert_eq!(ext(None, Some(45.0)).unwrap(), Duration::from_secs(45));
        for bad in [
            ext(Some(0.0), None),
            ext(Some(61.0), None),
            ext(Some(-1.0), None),
            ext(Some(1.5), None),
            ext(None, Some(3601.0)),
            ext(None, None),
            ext(Some(1.0), Some(1.0)),
            ext(Some(1e30), None),
        ] {
            assert_eq!(bad.unwrap_err().code(), "invalid");
        }
    }
}
