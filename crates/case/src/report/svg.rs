//! The report's charts as geometry: the template draws them as inline SVG.

use std::collections::BTreeMap;

use vigie_event::{Finding, Timestamp};

use crate::answers::off_the_time_axis;
use crate::scope::{AccountScope, Place};

/// Chart width, in SVG units (the page scales it down on a narrow screen).
pub const WIDTH: f64 = 1100.0;

fn tenth(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The colour of a finding level's dot.
pub fn level_color(level: &str) -> &'static str {
    match level {
        "critical" => "#7d1111",
        "high" => "#d1242f",
        "medium" => "#f5a623",
        "low" => "#54aeff",
        _ => "#8c959f",
    }
}

/// One account's lane of the activity chart.
#[derive(Debug)]
pub struct Lane {
    /// The account, or `(no account)`.
    pub name: String,
    /// The lane's line.
    pub y: f64,
    /// The label's baseline.
    pub text_y: f64,
    /// The intrusion window, shaded: `(x, width)`.
    pub window: Option<(f64, f64)>,
}

/// One finding on the activity chart.
#[derive(Debug)]
pub struct Dot {
    /// Centre.
    pub x: f64,
    /// Centre.
    pub y: f64,
    /// Fill.
    pub color: &'static str,
    /// Tooltip: time and title.
    pub label: String,
}

/// Findings per account over time; findings whose time is a file's
/// modification time are left off the axis (the report lists them apart).
#[derive(Debug)]
pub struct Timeline {
    /// Total height.
    pub height: f64,
    /// Where the axis starts (after the lane labels).
    pub left: f64,
    /// Where it ends.
    pub right: f64,
    /// Lanes, top down.
    pub lanes: Vec<Lane>,
    /// Dots.
    pub dots: Vec<Dot>,
    /// The axis labels' baseline.
    pub label_y: f64,
    /// The earliest time on the axis.
    pub start: String,
    /// The latest.
    pub end: String,
}

/// The activity chart, `None` when no finding has an event time. Accounts
/// without a finding have no lane (the report folds them).
pub fn timeline(findings: &[Finding], accounts: &[AccountScope]) -> Option<Timeline> {
    let events: Vec<&Finding> = findings.iter().filter(|f| !off_the_time_axis(f)).collect();
    let accounts: Vec<&AccountScope> = accounts.iter().filter(|a| a.findings > 0).collect();
    let t0 = events.iter().map(|f| f.first_seen).min()?;
    let t1 = events.iter().map(|f| f.first_seen).max()?;
    let seconds = |t: Timestamp| t.unix_seconds();
    let span = (seconds(t1) - seconds(t0)).max(1) as f64;
    let mut names: Vec<&str> = accounts.iter().map(|a| a.account.as_str()).collect();
    names.push("(no account)");
    let (left, right, lane) = (220.0, WIDTH - 20.0, 26.0);
    let x = |t: Timestamp| tenth(left + (seconds(t) - seconds(t0)) as f64 / span * (right - left));
    let y_of = |i: usize| 20.0 + lane * i as f64;
    let lanes = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let window = accounts.get(i).and_then(|a| {
                let start = a.intrusion_start?;
                let end = events
                    .iter()
                    .filter(|f| f.entity.user.as_deref() == Some(*name))
                    .filter(|f| matches!(f.level.as_str(), "high" | "critical"))
                    .map(|f| f.last_seen)
                    .max()
                    .unwrap_or(start)
                    .max(start);
                Some((x(start), tenth((x(end) - x(start)).max(3.0))))
            });
            Lane {
                name: name.to_string(),
                y: y_of(i),
                text_y: y_of(i) + 4.0,
                window,
            }
        })
        .collect();
    let dots = events
        .iter()
        .map(|f| {
            let user = f.entity.user.as_deref().unwrap_or("(no account)");
            let i = names
                .iter()
                .position(|n| *n == user)
                .unwrap_or(names.len() - 1);
            Dot {
                x: x(f.first_seen),
                y: y_of(i),
                color: level_color(&f.level),
                label: format!("{}: {}", f.first_seen, f.title),
            }
        })
        .collect();
    let height = 40.0 + lane * names.len() as f64;
    Some(Timeline {
        height,
        left,
        right,
        lanes,
        dots,
        label_y: height - 6.0,
        start: t0.to_string(),
        end: t1.to_string(),
    })
}

/// One bar.
#[derive(Debug)]
pub struct Bar {
    /// Its label.
    pub name: String,
    /// The label's baseline.
    pub text_y: f64,
    /// The bar's top.
    pub y: f64,
    /// The bar's length.
    pub width: f64,
    /// Where the value is written.
    pub value_x: f64,
    /// The value.
    pub value: String,
}

/// A horizontal bar chart.
#[derive(Debug)]
pub struct Bars {
    /// What it shows.
    pub label: String,
    /// Total height.
    pub height: f64,
    /// Where the bars start.
    pub left: f64,
    /// Bars, top down.
    pub bars: Vec<Bar>,
}

/// Bars of `(label, value)`, `value` written as `show` says.
pub fn bars(values: &[(String, u64)], label: &str, show: fn(u64) -> String) -> Bars {
    let max = values.iter().map(|b| b.1).max().unwrap_or(1).max(1) as f64;
    let (left, row) = (330.0, 22.0);
    let bars = values
        .iter()
        .enumerate()
        .map(|(i, (name, value))| {
            let y = 5.0 + row * i as f64;
            let width = tenth((*value as f64 / max * (WIDTH - left - 120.0)).max(1.0));
            Bar {
                name: name.clone(),
                text_y: y + 12.0,
                y,
                width,
                value_x: tenth(left + width + 6.0),
                value: show(*value),
            }
        })
        .collect();
    Bars {
        label: label.to_string(),
        height: 10.0 + row * values.len() as f64,
        left,
        bars,
    }
}

/// Findings per source country when the scan had a GeoIP database, else per address.
pub fn sources(findings: &[Finding], places: &BTreeMap<String, Place>) -> Bars {
    let by_country = !places.is_empty();
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for ip in findings
        .iter()
        .filter_map(|f| f.entity.source_ip.as_deref())
    {
        let key = if by_country {
            places
                .get(ip)
                .and_then(|p| p.country.clone())
                .unwrap_or_else(|| "unknown".to_string())
        } else {
            ip.to_string()
        };
        *counts.entry(key).or_default() += 1;
    }
    let mut values: Vec<(String, u64)> = counts.into_iter().collect();
    values.sort_by_key(|b| std::cmp::Reverse(b.1));
    values.truncate(20);
    let label = if by_country {
        "findings per source country"
    } else {
        "findings per source address (countries need --geoip)"
    };
    bars(&values, label, |n| n.to_string())
}
