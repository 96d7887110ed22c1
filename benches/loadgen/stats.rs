//! Latency summaries. Samples are kept exactly (a 1,000-client, 30 s run is
//! 30,000 samples) and summarised with nearest-rank percentiles.

#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub n: usize,
    pub min: f64,
    pub mean: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
}

/// Nearest-rank percentile of an ascending slice (`q` in 0..=100).
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((q / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

impl Summary {
    /// Summarise samples (any order). Empty input gives `n == 0` and NaNs.
    pub fn of(mut samples: Vec<f64>) -> Summary {
        samples.retain(|v| v.is_finite());
        samples.sort_by(f64::total_cmp);
        let n = samples.len();
        if n == 0 {
            let nan = f64::NAN;
            return Summary {
                n,
                min: nan,
                mean: nan,
                p50: nan,
                p90: nan,
                p99: nan,
                max: nan,
            };
        }
        Summary {
            n,
            min: samples[0],
            mean: samples.iter().sum::<f64>() / n as f64,
            p50: percentile(&samples, 50.0),
            p90: percentile(&samples, 90.0),
            p99: percentile(&samples, 99.0),
            max: samples[n - 1],
        }
    }

    /// p50/p90/p99/max (plus min, mean) rounded to 0.01 ms; nulls when there were no samples.
    pub fn to_json(&self) -> JsonSummary {
        JsonSummary {
            p50: round2_f(self.p50),
            p90: round2_f(self.p90),
            p99: round2_f(self.p99),
            max: round2_f(self.max),
            min: round2_f(self.min),
            mean: round2_f(self.mean),
            n: self.n,
        }
    }

    pub fn row(&self, label: &str) -> String {
        format!(
            "  {label:<26} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
            self.n,
            f2(self.min),
            f2(self.p50),
            f2(self.p90),
            f2(self.p99),
            f2(self.max),
            f2(self.mean)
        )
    }

    pub fn header() -> String {
        format!(
            "  {:<26} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
            "(ms)", "n", "min", "p50", "p90", "p99", "max", "mean"
        )
    }
}

#[derive(serde::Serialize)]
pub struct JsonSummary {
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p99: Option<f64>,
    pub max: Option<f64>,
    pub min: Option<f64>,
    pub mean: Option<f64>,
    pub n: usize,
}

/// Round to two decimals; `None` when not finite (JSON null).
pub fn round2_f(v: f64) -> Option<f64> {
    v.is_finite().then(|| (v * 100.0).round() / 100.0)
}

pub fn f2(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.2}")
    } else {
        "-".into()
    }
}
