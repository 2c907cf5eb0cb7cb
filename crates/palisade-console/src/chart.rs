//! The overview's bar chart as geometry: the template draws it as inline SVG, so the chart
//! needs no JavaScript and every text in it goes through the template's escaping.

use serde::Serialize;

use crate::query::HourCounts;

/// Chart width in SVG units.
pub const WIDTH: u32 = 960;
/// Chart height in SVG units.
pub const HEIGHT: u32 = 220;
const PLOT_TOP: u32 = 10;
const PLOT_BOTTOM: u32 = 190;

/// One rectangle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bar {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width.
    pub w: u32,
    /// Height.
    pub h: u32,
    /// The group (`blocked`, `bans`, `login_failures`), used as a CSS class for its colour.
    pub group: &'static str,
    /// Tooltip text.
    pub title: String,
}

/// A label under the x axis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tick {
    /// Centre of the label.
    pub x: u32,
    /// The text (`14:00`).
    pub label: String,
}

/// The whole chart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Chart {
    /// SVG width.
    pub width: u32,
    /// SVG height.
    pub height: u32,
    /// Baseline y.
    pub baseline: u32,
    /// The tallest bar's count (the y scale).
    pub max: u64,
    /// Bars, three per hour.
    pub bars: Vec<Bar>,
    /// Hour labels, every third hour.
    pub ticks: Vec<Tick>,
    /// Requests per hour as an SVG polyline (`x,y x,y …`), on its own scale: requests
    /// outnumber events by orders of magnitude. Empty when no request was recorded.
    pub requests_line: String,
    /// The busiest hour's requests (the line's scale).
    pub requests_max: u64,
}

/// Grouped bars: per hour, one bar per group, scaled to the busiest bar.
pub fn hourly(hours: &[HourCounts]) -> Chart {
    let max = hours
        .iter()
        .flat_map(|h| [h.blocked, h.bans, h.login_failures])
        .max()
        .unwrap_or(0)
        .max(1);
    let slot = WIDTH / u32::try_from(hours.len().max(1)).unwrap_or(1);
    let bar_w = (slot.saturating_sub(4) / 3).max(1);
    let plot = u64::from(PLOT_BOTTOM - PLOT_TOP);
    let mut bars = Vec::with_capacity(hours.len() * 3);
    let mut ticks = Vec::new();
    for (i, h) in hours.iter().enumerate() {
        let i = u32::try_from(i).unwrap_or(0);
        let x0 = i * slot + 2;
        let label = h.hour.get(11..16).unwrap_or(&h.hour).to_owned();
        for (j, (group, count)) in [
            ("blocked", h.blocked),
            ("bans", h.bans),
            ("login_failures", h.login_failures),
        ]
        .into_iter()
        .enumerate()
        {
            let bh = u32::try_from(count.min(max) * plot / max).unwrap_or(0);
            // A visible sliver marks "some" so a single event among thousands is not lost.
            let bh = if count > 0 { bh.max(1) } else { 0 };
            bars.push(Bar {
                x: x0 + u32::try_from(j).unwrap_or(0) * bar_w,
                y: PLOT_BOTTOM - bh,
                w: bar_w,
                h: bh,
                group,
                title: format!("{label} UTC: {count} {}", group.replace('_', " ")),
            });
        }
        if i % 3 == 0 {
            ticks.push(Tick {
                x: i * slot + slot / 2,
                label,
            });
        }
    }
    let requests_max = hours.iter().map(|h| h.requests).max().unwrap_or(0);
    let requests_line = if requests_max == 0 {
        String::new()
    } else {
        hours
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let x = u32::try_from(i).unwrap_or(0) * slot + slot / 2;
                let y = PLOT_BOTTOM - u32::try_from(h.requests * plot / requests_max).unwrap_or(0);
                format!("{x},{y}")
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    Chart {
        width: WIDTH,
        height: HEIGHT,
        baseline: PLOT_BOTTOM,
        max,
        bars,
        ticks,
        requests_line,
        requests_max,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_busiest() {
        let hours = vec![
            HourCounts {
                hour: "2026-11-28T10:00:00.000Z".into(),
                blocked: 10,
                bans: 1,
                login_failures: 0,
                requests: 500,
            },
            HourCounts {
                hour: "2026-11-28T11:00:00.000Z".into(),
                ..HourCounts::default()
            },
        ];
        let c = hourly(&hours);
        assert_eq!(c.max, 10);
        assert_eq!(c.bars.len(), 6);
        assert_eq!(c.bars[0].h, PLOT_BOTTOM - PLOT_TOP);
        assert!(c.bars[1].h >= 1);
        assert_eq!(c.bars[2].h, 0);
        assert_eq!(c.ticks[0].label, "10:00");
        assert_eq!(c.requests_max, 500);
        let y: Vec<&str> = c
            .requests_line
            .split(' ')
            .map(|p| p.split(',').nth(1).unwrap())
            .collect();
        assert_eq!(y, [PLOT_TOP.to_string(), PLOT_BOTTOM.to_string()]);
        assert!(hourly(&hours[1..]).requests_line.is_empty());
    }
}
