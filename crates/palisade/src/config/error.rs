//! Configuration errors that say where: file, line, column, key, and what to do.

use std::fmt;

/// A configuration problem, located in its file when it comes from one.
///
/// Boxed: it travels up through every config-loading `Result`, and its details are
/// rarely built, so the happy path should not pay for their size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(Box<Details>);

/// What a [`ConfigError`] knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Details {
    /// The file as the user named it (or `<flags>` for command-line values).
    pub file: String,
    /// 1-based line and column of the offending text, when known.
    pub position: Option<(usize, usize)>,
    /// The dotted key, e.g. `headers.strict_transport_security.max_age`.
    pub key: Option<String>,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
    /// The offending line, for display.
    pub line_text: Option<String>,
}

impl ConfigError {
    /// An error about the file as a whole.
    pub fn whole_file(file: &str, message: impl Into<String>) -> Self {
        ConfigError(Box::new(Details {
            file: file.to_owned(),
            position: None,
            key: None,
            message: message.into(),
            hint: None,
            line_text: None,
        }))
    }

    /// Places the error at byte `offset` of `text`.
    pub(crate) fn at(mut self, text: &str, offset: usize) -> Self {
        let offset = offset.min(text.len());
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = text[line_start..offset].chars().count() + 1;
        let line_end = text[line_start..]
            .find('\n')
            .map_or(text.len(), |i| line_start + i);
        self.position = Some((line, col));
        self.line_text = Some(text[line_start..line_end].trim_end_matches('\r').to_owned());
        self
    }

    /// Adds a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Names the key.
    pub fn with_key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }
}

impl std::ops::Deref for ConfigError {
    type Target = Details;
    fn deref(&self) -> &Details {
        &self.0
    }
}

impl std::ops::DerefMut for ConfigError {
    fn deref_mut(&mut self) -> &mut Details {
        &mut self.0
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some((line, col)) => write!(f, "{}:{line}:{col}: ", self.file)?,
            None => write!(f, "{}: ", self.file)?,
        }
        f.write_str(&self.message)?;
        if let (Some((line, col)), Some(text)) = (self.position, &self.line_text) {
            let gutter = line.to_string().len();
            write!(
                f,
                "\n{:gutter$} |\n{line} | {text}\n{:gutter$} | {:>col$}",
                "", "", "^"
            )?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n  = hint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}
