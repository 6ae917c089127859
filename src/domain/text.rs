//! Free text from clients: trimmed, length-checked in characters (not bytes), no control
//! characters except line breaks and tabs in long text.

/// Trims and checks a one-line name (1..=`max` characters, no control characters).
pub fn name(raw: &str, max: usize) -> Result<String, String> {
    let value = raw.trim();
    let len = value.chars().count();
    if len == 0 {
        return Err("must not be empty".into());
    }
    if len > max {
        return Err(format!("must be at most {max} characters"));
    }
    if value.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(value.to_owned())
}

/// Trims and checks free text (0..=`max` characters; line breaks and tabs allowed, other
/// control characters not); blank text becomes `None`.
pub fn optional(raw: Option<&str>, max: usize) -> Result<Option<String>, String> {
    let Some(value) = raw.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if value.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err("must not contain control characters".into());
    }
    Ok(Some(value.to_owned()))
}

/// [`optional`] for one-line values (no line breaks).
pub fn optional_line(raw: Option<&str>, max: usize) -> Result<Option<String>, String> {
    raw.map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| name(v, max))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_counted_in_characters() {
        assert_eq!(name("  Señora Núñez 🎬 ", 20).unwrap(), "Señora Núñez 🎬");
        assert!(name("   ", 20).is_err());
        assert!(name("ñ".repeat(21).as_str(), 20).is_err());
        assert!(name("a\u{0}b", 20).is_err());
    }

    #[test]
    fn optional_text_keeps_line_breaks_and_drops_blanks() {
        assert_eq!(optional(Some("  "), 10).unwrap(), None);
        assert_eq!(optional(Some("a\nb"), 10).unwrap(), Some("a\nb".into()));
        assert!(optional(Some("a\u{7}"), 10).is_err());
        assert!(optional_line(Some("a\nb"), 10).is_err());
        assert_eq!(optional_line(None, 10).unwrap(), None);
    }
}
