//! Which whole-second marks carry a warning, for rounds and countdowns.

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    pub warning_type: &'static str,
    pub message: String,
}

/// Seed 000: 1 minute, 30 seconds, then every second from 10 to 1.
pub fn round_warning(secs_left: u64) -> Option<Warning> {
    let (warning_type, message) = match secs_left {
        60 => ("one_minute", "1 minute remaining".to_owned()),
        30 => ("thirty_seconds", "30 seconds remaining".to_owned()),
        1 => ("countdown", "1 second remaining".to_owned()),
        2..=10 => ("countdown", format!("{secs_left} seconds remaining")),
        _ => return None,
    };
    Some(Warning { warning_type, message })
}

/// Seed 000: 10, 5, 2, 1 minutes, 30 and 10 seconds before the event.
pub fn countdown_warning(secs_left: u64) -> Option<Warning> {
    let (warning_type, message) = match secs_left {
        600 => ("ten_minutes", "10 minutes until the event starts!"),
        300 => ("five_minutes", "5 minutes until the event starts!"),
        120 => ("two_minutes", "2 minutes until the event starts!"),
        60 => ("one_minute", "1 minute until the event starts!"),
        30 => ("thirty_seconds", "30 seconds until the event starts!"),
        10 => ("ten_seconds", "10 seconds until the event starts!"),
        _ => return None,
    };
    Some(Warning {
        warning_type,
        message: message.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_warnings_fire_at_the_seed_marks_only() {
        let marks: Vec<u64> = (0..=400).filter(|s| round_warning(*s).is_some()).collect();
        assert_eq!(marks, vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 30, 60]);
        assert_eq!(round_warning(60).map(|w| w.warning_type), Some("one_minute"));
    }

    #[test]
    fn countdown_warnings_fire_at_the_seed_marks_only() {
        let marks: Vec<u64> = (0..=4000).filter(|s| countdown_warning(*s).is_some()).collect();
        assert_eq!(marks, vec![10, 30, 60, 120, 300, 600]);
    }
}
