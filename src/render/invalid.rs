//! The report for an input line that is not a valid entry, shared by every bulk command: its
//! number, the line as typed (escaped) and why, in the command's own JSON keys.

use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::escape::{json_line, quoted};

use super::Format;

/// The JSON keys a command names its target and its result by: `name` and `verdict` for
/// `check`, `host` and `status` for `expiry`.
#[derive(Clone, Copy, Debug)]
pub struct InvalidKeys {
    pub target: &'static str,
    pub class: &'static str,
}

/// One line: `line 7 "bad name": invalid: why` (without `line N` for an argument), or its JSON
/// object with the class `invalid` (`line` null for an argument).
pub fn render_invalid(
    line: Option<u64>,
    input: &str,
    reason: &str,
    keys: InvalidKeys,
    format: Format,
) -> String {
    match format {
        Format::Human(_) => format!(
            "{}{}: invalid: {reason}",
            line.map(|line| format!("line {line} ")).unwrap_or_default(),
            quoted(input.as_bytes())
        ),
        Format::Json => json_line(&InvalidJson {
            keys,
            input,
            line,
            reason,
        }),
    }
}

struct InvalidJson<'a> {
    keys: InvalidKeys,
    input: &'a str,
    line: Option<u64>,
    reason: &'a str,
}

/// The keys in the order every report has them: the target, its line, its class, why.
impl Serialize for InvalidJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(4))?;
        map.serialize_entry(self.keys.target, self.input)?;
        map.serialize_entry("line", &self.line)?;
        map.serialize_entry(self.keys.class, "invalid")?;
        map.serialize_entry("reason", self.reason)?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEYS: InvalidKeys = InvalidKeys {
        target: "name",
        class: "verdict",
    };

    #[test]
    fn the_line_is_escaped_for_people_and_keyed_for_scripts() {
        assert_eq!(
            render_invalid(Some(3), "a\u{1b}b", "why", KEYS, Format::Json),
            r#"{"name":"a\u001bb","line":3,"verdict":"invalid","reason":"why"}"#
        );
        let human = super::super::HumanStyle {
            color: false,
            detail: super::super::Detail::Normal,
        };
        assert_eq!(
            render_invalid(Some(3), "a\u{1b}b", "why", KEYS, Format::Human(human)),
            r#"line 3 "a\027b": invalid: why"#
        );
    }
}
