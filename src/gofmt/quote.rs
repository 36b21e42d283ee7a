//! Go's string quoting: `strconv.Quote`, `QuoteRune` and `Unquote`, used
//! for template literals, error messages and docker's COMMAND column.

/// Go's `strconv.Quote`.
pub fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        push_escaped(&mut out, c, '"');
    }
    out.push('"');
    out
}

/// Go's `strconv.QuoteRune`.
pub fn go_quote_rune(c: char) -> String {
    let mut out = String::from("'");
    push_escaped(&mut out, c, '\'');
    out.push('\'');
    out
}

fn push_escaped(out: &mut String, c: char, quote: char) {
    match c {
        '\\' => out.push_str("\\\\"),
        c if c == quote => {
            out.push('\\');
            out.push(c);
        }
        '\u{7}' => out.push_str("\\a"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{b}' => out.push_str("\\v"),
        c if (c as u32) < 0x20 || c == '\u{7f}' => out.push_str(&format!("\\x{:02x}", c as u32)),
        c if c.is_control() || c == '\u{FEFF}' => {
            if (c as u32) < 0x10000 {
                out.push_str(&format!("\\u{:04x}", c as u32));
            } else {
                out.push_str(&format!("\\U{:08x}", c as u32));
            }
        }
        c => out.push(c),
    }
}

/// Go's `strconv.Unquote` for "…", `…` and '…' literals.
pub fn go_unquote(text: &str) -> Result<String, ()> {
    let quote = text.chars().next().ok_or(())?;
    if text.len() < 2 || !text.ends_with(quote) {
        return Err(());
    }
    let body = &text[1..text.len() - 1];
    if quote == '`' {
        return Ok(body.replace('\r', ""));
    }
    let mut out = String::new();
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            if c == quote || c == '\n' {
                return Err(());
            }
            out.push(c);
            continue;
        }
        let escape = chars.next().ok_or(())?;
        let mut hex = |n: usize| -> Result<char, ()> {
            let digits: String = chars.by_ref().take(n).collect();
            if digits.len() != n {
                return Err(());
            }
            let code = u32::from_str_radix(&digits, 16).map_err(|_| ())?;
            char::from_u32(code).ok_or(())
        };
        out.push(match escape {
            'a' => '\u{7}',
            'b' => '\u{8}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'v' => '\u{b}',
            '\\' => '\\',
            '\'' if quote == '\'' => '\'',
            '"' if quote == '"' => '"',
            'x' => hex(2)?,
            'u' => hex(4)?,
            'U' => hex(8)?,
            '0'..='7' => {
                let rest: String = chars.by_ref().take(2).collect();
                let code = u32::from_str_radix(&format!("{escape}{rest}"), 8).map_err(|_| ())?;
                if rest.len() != 2 || code > 255 {
                    return Err(());
                }
                char::from_u32(code).ok_or(())?
            }
            _ => return Err(()),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_round_trips() {
        assert_eq!(go_quote("a\"b\\c\n\u{1}é"), r#""a\"b\\c\n\x01é""#);
        assert_eq!(go_quote_rune('\''), r"'\''");
        assert_eq!(go_unquote(r#""a\tb\x41\u00e9""#), Ok("a\tbAé".into()));
        assert_eq!(go_unquote("`raw\\n`"), Ok("raw\\n".into()));
        assert_eq!(go_unquote(r#""\q""#), Err(()));
        assert_eq!(go_unquote(r"'\101'"), Ok("A".into()));
    }
}
