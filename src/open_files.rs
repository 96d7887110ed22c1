//! Every connection is a file descriptor. Past the open-files limit the
//! server cannot accept at all — clients hang in the accept queue with no
//! answer — so the connection limit is kept below it, where a client past it
//! is refused cleanly (4013 / 429) instead.

use nix::sys::resource::{getrlimit, setrlimit, Resource};

/// Descriptors kept for what is not a client: the database pool, the
/// listener, static files, logs.
const RESERVED: u64 = 256;

/// Raises the soft open-files limit as far as the hard one allows and
/// returns the connection limit that fits under it (`wanted` when it does).
pub fn fit_connections(wanted: usize) -> usize {
    let (soft, hard) = match getrlimit(Resource::RLIMIT_NOFILE) {
        Ok(limits) => limits,
        Err(e) => {
            tracing::warn!(error = %e, "could not read the open-files limit");
            return wanted;
        }
    };
    let soft = match soft < hard && setrlimit(Resource::RLIMIT_NOFILE, hard, hard).is_ok() {
        true => hard,
        false => soft,
    };
    let fits = usize::try_from(soft.saturating_sub(RESERVED)).unwrap_or(usize::MAX);
    if wanted > fits {
        tracing::warn!(
            open_files_limit = soft,
            wanted,
            capped_to = fits,
            "EMCEE_MAX_CONNECTIONS is over what the open-files limit allows; capped (raise `ulimit -n` to hold more)"
        );
        return fits;
    }
    tracing::info!(
        open_files_limit = soft,
        max_connections = wanted,
        "connection limit fits"
    );
    wanted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limit_under_the_open_files_limit_is_kept_and_one_over_it_is_capped_below_it() {
        let small = fit_connections(10);
        let capped = fit_connections(usize::MAX);
        let (soft, _) = getrlimit(Resource::RLIMIT_NOFILE).unwrap_or((0, 0));

        assert_eq!(small, 10);
        assert!(soft > RESERVED, "the soft limit {soft} leaves room for clients");
        assert_eq!(
            capped as u64,
            soft - RESERVED,
            "capped to the raised soft limit minus the reserve"
        );
    }
}
