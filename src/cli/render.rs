//! Rendering problems for people: miette's graphical report, coloured only on a terminal.

use std::io::IsTerminal;

use miette::{GraphicalReportHandler, GraphicalTheme};

use crate::desired::Problem;

/// Fixed so that CI logs and test snapshots don't depend on a terminal's size.
const WIDTH: usize = 100;

/// Renders problems for stderr.
pub struct Renderer {
    handler: GraphicalReportHandler,
}

impl Renderer {
    /// Colour only when stderr is a terminal and `NO_COLOR` is unset.
    #[must_use]
    pub fn for_stderr() -> Self {
        let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        let theme = if colour {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        Self {
            handler: GraphicalReportHandler::new_themed(theme)
                .with_width(WIDTH)
                .with_links(false),
        }
    }

    #[must_use]
    pub fn render(&self, problem: &Problem) -> String {
        let mut out = String::new();
        if self.handler.render_report(&mut out, problem).is_err() {
            // Rendering only fails when a span is out of range, which would be our bug;
            // the message alone still tells the user what is wrong.
            out = format!("{}: {}\n", problem.code(), problem.message());
        }
        out
    }
}
