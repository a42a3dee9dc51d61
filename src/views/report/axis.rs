//! The drawing's measures and its time axis: world time to a horizontal position.

use crate::format::world_time::WorldTime;

/// Width of the drawing area in SVG units (the page scales it to the window).
pub(super) const WIDTH: f64 = 1000.0;
/// Left margin for the lanes' names.
pub(super) const LEFT: f64 = 170.0;
/// Right margin.
pub(super) const RIGHT: f64 = 20.0;
pub(super) const LANE_HEIGHT: f64 = 30.0;
pub(super) const AXIS_HEIGHT: f64 = 28.0;

/// Seconds since the epoch of when a world time starts, for positions and the script.
pub(super) fn seconds(time: &WorldTime) -> i64 {
    time.start().timestamp()
}

/// World time to horizontal position: piecewise linear through the distinct moments of the
/// events, each gap between them given room by the logarithm of its length.
pub(super) struct TimeAxis {
    /// (seconds, x), ascending in both.
    pub(super) knots: Vec<(i64, f64)>,
}

impl TimeAxis {
    pub(super) fn new(moments: &[i64]) -> TimeAxis {
        let mut distinct: Vec<i64> = moments.to_vec();
        distinct.sort_unstable();
        distinct.dedup();
        let inner = WIDTH - LEFT - RIGHT;
        let Some(&first) = distinct.first() else {
            return TimeAxis { knots: Vec::new() };
        };
        if distinct.len() == 1 {
            return TimeAxis {
                knots: vec![(first, LEFT + inner / 2.0)],
            };
        }
        // Each gap between two moments gets room growing with the logarithm of its length:
        // years of quiet take a few times the room of an hour, so that a log spanning
        // decades with bursts on single days shows both.
        let mut xs = Vec::with_capacity(distinct.len());
        let mut x = 0.0;
        xs.push(x);
        for pair in distinct.windows(2) {
            let hours = (pair[1] - pair[0]) as f64 / 3600.0;
            x += 1.0 + (1.0 + hours).ln();
            xs.push(x);
        }
        let widest = x.max(f64::MIN_POSITIVE);
        TimeAxis {
            knots: distinct
                .into_iter()
                .zip(xs)
                .map(|(moment, x)| (moment, LEFT + x / widest * inner))
                .collect(),
        }
    }

    pub(super) fn x(&self, moment: i64) -> f64 {
        let index = self.knots.partition_point(|(knot, _)| *knot < moment);
        match (
            index.checked_sub(1).map(|i| self.knots[i]),
            self.knots.get(index),
        ) {
            (_, Some(&(knot, x))) if knot == moment => x,
            (Some((t0, x0)), Some(&(t1, x1))) => {
                x0 + (x1 - x0) * (moment - t0) as f64 / (t1 - t0) as f64
            }
            (Some((_, x0)), None) => x0,
            (None, Some(&(_, x1))) => x1,
            (None, None) => LEFT,
        }
    }

    /// The x of the last moment: where a span still open ends.
    pub(super) fn end(&self, otherwise: f64) -> f64 {
        self.knots.last().map_or(otherwise, |(_, x)| *x)
    }

    /// Ticks at the first moment of each day that has events, labelled with its date,
    /// each kept where its label has room (at least 75 units after the last one kept): the
    /// axis is not to scale, so it names the days the events happened on, bursts first seen.
    pub(super) fn ticks(&self) -> Vec<(f64, String)> {
        let mut ticks: Vec<(f64, String)> = Vec::new();
        let mut last_day = None;
        for &(moment, x) in &self.knots {
            let Some(time) = chrono::DateTime::from_timestamp(moment, 0) else {
                continue;
            };
            let day = time.date_naive();
            if last_day == Some(day) {
                continue;
            }
            last_day = Some(day);
            if ticks.last().is_none_or(|(last_x, _)| x - last_x >= 75.0) {
                ticks.push((x, day.format("%-d %b %Y").to_string()));
            }
        }
        ticks
    }

    /// The first and last days drawn, as `YYYY-MM-DD` (empty for an empty axis).
    pub(super) fn first_and_last_dates(&self) -> (String, String) {
        let date = |knot: Option<&(i64, f64)>| {
            knot.and_then(|(moment, _)| chrono::DateTime::from_timestamp(*moment, 0))
                .map(|moment| moment.format("%Y-%m-%d").to_string())
                .unwrap_or_default()
        };
        (date(self.knots.first()), date(self.knots.last()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_axis_keeps_order_and_room_between_moments() {
        let day = 86_400;
        let moments = [0, 60, 120, 30 * day, 30 * day + 1, 200 * day];
        let axis = TimeAxis::new(&moments);
        let xs: Vec<f64> = moments.iter().map(|moment| axis.x(*moment)).collect();
        assert!(xs.windows(2).all(|pair| pair[1] > pair[0]));
        assert!(xs[0] >= LEFT && xs[5] <= WIDTH - RIGHT + 0.01);
        assert!(axis.x(100 * day) > xs[4] && axis.x(100 * day) < xs[5]);
        assert!(!axis.ticks().is_empty());
    }
}
