//! The SVG: three panels against the offered load (as a multiple of capacity): goodput
//! with the capacity line, attempts per second the server answered (log scale), and p99 latency of successes
//! (log scale).

use crate::load::Strategy;
use crate::report::Row;
use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;
use std::path::Path;
use std::time::Duration;

/// The x axis runs a little past the largest load so its point isn't on the frame.
const X_MARGIN: f64 = 0.3;

/// One strategy's points and its colour.
struct Line {
    label: &'static str,
    color: RGBColor,
    points: Vec<(f64, f64)>,
}

/// A reference line drawn dashed, with its legend text.
struct Reference {
    points: Vec<(f64, f64)>,
    label: String,
}

impl Reference {
    fn horizontal(y: f64, x_max: f64, label: String) -> Reference {
        Reference {
            points: vec![(0.0, y), (x_max, y)],
            label,
        }
    }
}

/// Writes the three-panel plot to `path`.
pub fn write_svg(
    path: &Path,
    rows: &[Row],
    capacity: f64,
    service: Duration,
) -> anyhow::Result<()> {
    let x_max = rows.iter().map(|r| r.load).fold(1.0, f64::max) + X_MARGIN;
    let root = SVGBackend::new(path, (1500, 500)).into_drawing_area();
    root.fill(&WHITE)?;
    let root = root.titled(
        "depot under overload: clients that retry at once vs depot-client's backoff",
        ("sans-serif", 22),
    )?;
    let panels = root.split_evenly((1, 3));

    let goodput = lines(rows, |r| r.goodput);
    let top = max_y(&goodput).max(capacity) * 1.25;
    let cap_line = Reference::horizontal(capacity, x_max, format!("capacity {capacity:.0}/s"));
    panel(
        &panels[0],
        "goodput (successes/s)",
        x_max,
        0.0..top,
        &goodput,
        &cap_line,
    )?;

    let attempts = lines(rows, |r| r.server_attempts);
    let top = max_y(&attempts).max(capacity) * 3.0;
    let range = (capacity / 3.0..top).log_scale();
    // What the server would see if every arrival were sent exactly once.
    let once = Reference {
        points: vec![(0.5, capacity * 0.5), (x_max, capacity * x_max)],
        label: "offered (one attempt each)".into(),
    };
    panel(
        &panels[1],
        "attempts/s the server answered (log)",
        x_max,
        range,
        &attempts,
        &once,
    )?;

    let p99 = lines(rows, |r| r.p99_ms);
    let service_ms = service.as_secs_f64() * 1e3;
    let top = max_y(&p99).max(service_ms) * 3.0;
    let floor = Reference::horizontal(
        service_ms,
        x_max,
        format!("service time {service_ms:.0} ms"),
    );
    let range = (service_ms / 3.0..top).log_scale();
    panel(
        &panels[2],
        "p99 latency of successes, ms (log)",
        x_max,
        range,
        &p99,
        &floor,
    )?;
    root.present()?;
    Ok(())
}

fn lines(rows: &[Row], y: impl Fn(&Row) -> f64) -> Vec<Line> {
    [
        (Strategy::Immediate, RGBColor(200, 40, 40)),
        (Strategy::DepotClient, RGBColor(30, 90, 200)),
    ]
    .into_iter()
    .map(|(strategy, color)| Line {
        label: strategy.label(),
        color,
        points: rows
            .iter()
            .filter(|r| r.strategy == strategy)
            .map(|r| (r.load, y(r)))
            // A cell with no success has no latency; leave the point out.
            .filter(|(_, v)| v.is_finite())
            .collect(),
    })
    .collect()
}

fn max_y(lines: &[Line]) -> f64 {
    lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.1))
        .fold(1.0, f64::max)
}

/// One panel: the strategies' lines over a dashed reference line, with a legend. Generic
/// over the y range so the same code draws a linear and a log axis.
fn panel<Y>(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    title: &str,
    x_max: f64,
    y_range: Y,
    lines: &[Line],
    reference: &Reference,
) -> anyhow::Result<()>
where
    Y: AsRangedCoord<Value = f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 17))
        .margin(14)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..x_max, y_range)?;
    chart
        .configure_mesh()
        .x_desc("offered load (x capacity)")
        .x_labels(10)
        .x_label_formatter(&|x| format!("{x:.1}"))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .draw()?;
    let dashed = DashedLineSeries::new(
        reference.points.iter().copied(),
        8,
        6,
        BLACK.stroke_width(1),
    );
    chart
        .draw_series(dashed)?
        .label(reference.label.as_str())
        .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], BLACK));
    for line in lines {
        let color = line.color;
        chart
            .draw_series(
                LineSeries::new(line.points.iter().copied(), color.stroke_width(2)).point_size(4),
            )?
            .label(line.label)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], color.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}
