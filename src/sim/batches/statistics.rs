//! The statistics a tournament's ranking comes with: a 95% confidence interval of each
//! strategy's mean utility (Student's t), and pairwise tests of the differences between
//! strategies' means (Welch's t-test, which does not assume equal variances) corrected for
//! multiple comparisons by Holm's step-down method.
//!
//! **The unit is a run in a role**, as for the means and deviations beside them: each run
//! adds one utility per role to the strategy holding it. Runs of strategies that draw
//! nothing on fixed preferences repeat one another, so their intervals shrink with the
//! number of runs without saying more; draw preferences (`"random"`) or play more domains
//! for intervals that speak of strategies rather than of runs. Distributions come from
//! `statrs`, a pure computation: the same figures on every machine.

use statrs::distribution::{ContinuousCDF, StudentsT};

/// The level of the tests and the intervals: 5%, so 95% intervals.
pub const ALPHA: f64 = 0.05;

/// The 95% confidence interval of a mean, from the sample's deviation and size (`sd` with
/// `n - 1`): `mean ± t(0.975, n - 1) * sd / sqrt(n)`. `None` for fewer than two values.
pub fn mean_interval(mean: f64, sd: f64, count: u64) -> Option<(f64, f64)> {
    if count < 2 || !mean.is_finite() || !sd.is_finite() {
        return None;
    }
    let quantile = StudentsT::new(0.0, 1.0, (count - 1) as f64)
        .ok()?
        .inverse_cdf(1.0 - ALPHA / 2.0);
    let half = quantile * sd / (count as f64).sqrt();
    Some((mean - half, mean + half))
}

/// Welch's t-test of the difference of two means: the statistic, its degrees of freedom
/// (Welch-Satterthwaite), and the two-sided p-value. Two samples without spread are equal
/// (p = 1) if their means are, and differ for certain (p = 0) if not. `None` when a sample
/// has fewer than two values.
pub fn welch(first: (f64, f64, u64), second: (f64, f64, u64)) -> Option<(f64, f64, f64)> {
    let ((mean_a, sd_a, n_a), (mean_b, sd_b, n_b)) = (first, second);
    if n_a < 2 || n_b < 2 {
        return None;
    }
    let (share_a, share_b) = (sd_a * sd_a / n_a as f64, sd_b * sd_b / n_b as f64);
    let spread = share_a + share_b;
    let difference = mean_a - mean_b;
    if spread == 0.0 {
        return Some(if difference == 0.0 {
            (0.0, f64::INFINITY, 1.0)
        } else {
            (difference.signum() * f64::INFINITY, f64::INFINITY, 0.0)
        });
    }
    let t = difference / spread.sqrt();
    let freedom = spread * spread
        / (share_a * share_a / (n_a - 1) as f64 + share_b * share_b / (n_b - 1) as f64);
    let p = 2.0 * StudentsT::new(0.0, 1.0, freedom).ok()?.sf(t.abs());
    Some((t, freedom, p.clamp(0.0, 1.0)))
}

/// Holm's step-down adjustment of `p` values (in their order): the `k`-th smallest, of
/// `m`, becomes `max over j <= k of min(1, (m - j + 1) * p_(j))`. A hypothesis is rejected
/// at level `ALPHA` when its adjusted value is below it; the family-wise error stays within
/// `ALPHA` whatever the dependence between tests. Equal p-values keep their order.
pub fn holm(p: &[f64]) -> Vec<f64> {
    let count = p.len();
    let mut order: Vec<usize> = (0..count).collect();
    order.sort_by(|a, b| p[*a].total_cmp(&p[*b]));
    let mut adjusted = vec![0.0; count];
    let mut running: f64 = 0.0;
    for (rank, index) in order.into_iter().enumerate() {
        running = running.max(((count - rank) as f64 * p[index]).min(1.0));
        adjusted[index] = running;
    }
    adjusted
}

#[cfg(test)]
mod tests {
    use super::{holm, mean_interval, welch};

    #[test]
    fn figures_match_published_tables() {
        // t(0.975, 9) = 2.262157 (any table): mean 10, sd 2, n 10.
        let (low, high) = mean_interval(10.0, 2.0, 10).unwrap();
        assert!((high - 10.0 - 2.262157 * 2.0 / 10f64.sqrt()).abs() < 1e-6);
        assert!((10.0 - low - (high - 10.0)).abs() < 1e-12);
        assert_eq!(mean_interval(1.0, 0.0, 1), None);
        // Welch: means 20 and 22, sd 3 and 4, 30 each: t = -2.190890, df = 53.783, and
        // p = 0.032813 by integrating the t density numerically (an independent check).
        let (t, freedom, p) = welch((20.0, 3.0, 30), (22.0, 4.0, 30)).unwrap();
        assert!((t + 2.190890).abs() < 1e-6, "{t}");
        assert!((freedom - 53.7834).abs() < 1e-3, "{freedom}");
        assert!((p - 0.032813).abs() < 1e-5, "{p}");
        assert_eq!(
            welch((1.0, 0.0, 5), (1.0, 0.0, 5)),
            Some((0.0, f64::INFINITY, 1.0))
        );
        assert_eq!(welch((2.0, 0.0, 5), (1.0, 0.0, 5)).unwrap().2, 0.0);
        assert_eq!(welch((2.0, 1.0, 1), (1.0, 1.0, 5)), None);
    }

    #[test]
    fn holm_steps_down() {
        // p = 0.01, 0.04, 0.03, 0.005 (m = 4): sorted 0.005, 0.01, 0.03, 0.04 become 0.02,
        // 0.03, 0.06, 0.06 (the running maximum).
        let adjusted = holm(&[0.01, 0.04, 0.03, 0.005]);
        let expected = [0.03, 0.06, 0.06, 0.02];
        for (found, wanted) in adjusted.iter().zip(expected) {
            assert!((found - wanted).abs() < 1e-12, "{adjusted:?}");
        }
        assert_eq!(holm(&[0.6, 0.9]), vec![1.0, 1.0]);
        assert!(holm(&[]).is_empty());
    }
}
