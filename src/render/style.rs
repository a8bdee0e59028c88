//! Colours for the human report, applied only when enabled (a terminal, no NO_COLOR, or
//! `--color always`). Colour marks; it never carries meaning the words do not.

use owo_colors::Style;

use crate::caa::Verdict;

/// What a coloured word says: the result's weight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    Good,
    Warning,
    Bad,
    /// Could not be determined.
    Unknown,
    /// Information that changes nothing.
    Faint,
}

/// Paints text when colour is on, passes it through otherwise.
#[derive(Clone, Copy, Debug)]
pub struct Palette {
    enabled: bool,
}

impl Palette {
    pub fn new(enabled: bool) -> Palette {
        Palette { enabled }
    }

    pub fn verdict(&self, verdict: Verdict) -> String {
        let style = match verdict {
            Verdict::Allowed => Style::new().green().bold(),
            Verdict::Denied | Verdict::Refused => Style::new().red().bold(),
            Verdict::Error => Style::new().yellow().bold(),
        };
        self.paint(verdict.as_str(), style)
    }

    /// A result's word or mark, in its tone.
    pub fn tone(&self, text: &str, tone: Tone) -> String {
        let style = match tone {
            Tone::Good => Style::new().green().bold(),
            Tone::Warning => Style::new().yellow().bold(),
            Tone::Bad => Style::new().red().bold(),
            Tone::Unknown => Style::new().magenta().bold(),
            Tone::Faint => Style::new().dimmed(),
        };
        self.paint(text, style)
    }

    /// Section headings and the marker of the deciding lookup.
    pub fn strong(&self, text: &str) -> String {
        self.paint(text, Style::new().bold())
    }

    /// Zone lines and commands to copy.
    pub fn code(&self, text: &str) -> String {
        self.paint(text, Style::new().cyan())
    }

    /// Lookups that did not decide anything.
    pub fn faint(&self, text: &str) -> String {
        self.paint(text, Style::new().dimmed())
    }

    fn paint(&self, text: &str, style: Style) -> String {
        if self.enabled {
            style.style(text).to_string()
        } else {
            text.to_owned()
        }
    }
}
