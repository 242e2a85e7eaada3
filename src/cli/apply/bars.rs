//! Apply's progress: one bar per phase on a terminal, a line per phase elsewhere (CI logs).

use std::io::IsTerminal as _;
use std::sync::Arc;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::apply::Progress;
use crate::plan::Phase;

/// One bar per phase on a terminal; a line per phase elsewhere (CI logs). The accounts of a
/// workspace, applied side by side, share one set of bars, each under its account's name.
pub struct Bars {
    multi: MultiProgress,
    current: std::sync::Mutex<Option<(Phase, ProgressBar)>>,
    terminal: bool,
    /// `account `emea`: ` for a workspace's account; empty alone.
    label: String,
}

impl Bars {
    /// The bars of an apply of one account.
    pub fn new() -> Arc<Self> {
        Self::within(&Self::drawn(), String::new())
    }

    /// Where the bars are drawn: stderr on a terminal, nowhere elsewhere.
    pub fn drawn() -> MultiProgress {
        let target = if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        MultiProgress::with_draw_target(target)
    }

    /// The bars of one account of several, drawn with the others' in `multi`.
    pub fn within(multi: &MultiProgress, label: String) -> Arc<Self> {
        Arc::new(Self {
            multi: multi.clone(),
            current: std::sync::Mutex::new(None),
            terminal: std::io::stderr().is_terminal(),
            label,
        })
    }

    pub fn println(&self, line: &str) {
        let _ = self.multi.println(format!("{}{line}", self.label));
    }

    pub fn clear(&self) {
        if let Ok(current) = self.current.lock()
            && let Some((_, bar)) = current.as_ref()
        {
            bar.finish_and_clear();
        }
        if self.label.is_empty() {
            let _ = self.multi.clear();
        }
    }
}

impl Progress for Arc<Bars> {
    fn phase_started(&self, phase: Phase, steps: usize) {
        let bar = self.multi.add(ProgressBar::new(steps as u64));
        if let Ok(style) = ProgressStyle::with_template("{msg:32} {bar:30} {pos}/{len}") {
            bar.set_style(style);
        }
        bar.set_message(format!("{}{}", self.label, phase.title()));
        if let Ok(mut current) = self.current.lock() {
            *current = Some((phase, bar));
        }
    }

    fn advanced(&self, steps: usize) {
        if let Ok(current) = self.current.lock()
            && let Some((_, bar)) = current.as_ref()
        {
            bar.inc(steps as u64);
        }
    }

    fn phase_finished(&self, phase: Phase) {
        if let Ok(mut current) = self.current.lock()
            && let Some((_, bar)) = current.take()
        {
            bar.finish();
            if !self.terminal {
                errln!(
                    "{}{}: {} of {} steps settled",
                    self.label,
                    phase.title(),
                    bar.position(),
                    bar.length().unwrap_or(0)
                );
            }
        }
    }
}
