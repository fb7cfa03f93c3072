//! `LATENCY GRAPH event`: an event's history drawn as an ASCII sparkline, the way Redis's
//! `latencyCommandGenSparkeline` and sparkline.c draw it: a header, a rule, then for each run of
//! [`COLUMNS`] samples four rows of `_o#|` bars scaled between the lowest and highest sample,
//! and under each bar, written downwards, how long ago it happened (`12s`, `3m`, `2h`, `1d`).

use super::Series;

/// Width of the graph (`LATENCY_GRAPH_COLS`).
const COLUMNS: usize = 80;

/// Bar rows per run of samples.
const ROWS: usize = 4;

/// The fill characters, lowest first; a bar taller than a row fills it with `|`.
const FILL: &[u8; 3] = b"_o#";

/// Blank rows between the bars and the labels.
const LABEL_MARGIN: usize = 1;

pub fn render(event: &str, series: &Series, now_s: i64) -> String {
    let samples: Vec<(u64, String)> = series
        .samples()
        .map(|sample| (sample.latency_ms, ago(now_s - sample.time)))
        .collect();
    let low = samples.iter().map(|(value, _)| *value).min().unwrap_or(0);
    let high = samples.iter().map(|(value, _)| *value).max().unwrap_or(0);
    let mut graph = format!(
        "{event} - high {high} ms, low {low} ms (all time high {} ms)\n{}\n",
        series.max_ms,
        "-".repeat(COLUMNS)
    );
    for (i, run) in samples.chunks(COLUMNS).enumerate() {
        if i > 0 {
            graph.push('\n');
        }
        draw_run(&mut graph, run, low, high);
    }
    graph
}

/// How long ago, as the label under a bar.
fn ago(elapsed: i64) -> String {
    match elapsed {
        e if e < 60 => format!("{e}s"),
        e if e < 3600 => format!("{}m", e / 60),
        e if e < 86_400 => format!("{}h", e / 3600),
        e => format!("{}d", e / 86_400),
    }
}

/// One run of samples: the bar rows, the margin, then the labels' characters row by row.
fn draw_run(graph: &mut String, run: &[(u64, String)], low: u64, high: u64) {
    let range = if high == low {
        1.0
    } else {
        (high - low) as f64
    };
    let steps = FILL.len() * ROWS;
    let step_of = |value: u64| {
        let scaled = (((value - low) as usize * steps) as f64 / range) as usize;
        scaled.min(steps - 1)
    };
    for row in 0..ROWS {
        let line: String = run
            .iter()
            .map(|(value, _)| {
                let rows_above = ROWS - row - 1;
                match step_of(*value).checked_sub(rows_above * FILL.len()) {
                    Some(index) if index < FILL.len() => FILL[index] as char,
                    Some(_) => '|',
                    None => ' ',
                }
            })
            .collect();
        graph.push_str(&line);
        graph.push('\n');
    }
    for _ in 0..LABEL_MARGIN {
        graph.push_str(&" ".repeat(run.len()));
        graph.push('\n');
    }
    let longest = run.iter().map(|(_, label)| label.len()).max().unwrap_or(0);
    for position in 0..longest {
        let line: String = run
            .iter()
            .map(|(_, label)| label.as_bytes().get(position).map_or(' ', |&b| b as char))
            .collect();
        graph.push_str(&line);
        graph.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_between_low_and_high_with_labels_below() {
        // What redis-server drew for a 100 ms spike 11 s ago and a 400 ms one 10 s ago.
        let mut series = Series::default();
        series.add(100, 999);
        series.add(400, 1000);
        let graph = render("command", &series, 1010);
        let expected = "command - high 400 ms, low 100 ms (all time high 400 ms)\n".to_string()
            + &"-".repeat(80)
            + "\n #\n |\n |\n_|\n  \n11\n10\nss\n";
        assert_eq!(graph, expected);
    }
}
