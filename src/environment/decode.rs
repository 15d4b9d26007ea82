//! Input files read without trusting them: bounded size, never through a link, never
//! blocking, no NUL bytes, valid UTF-8.

use super::discover::display_path;
use super::load::LoadError;
use crate::diagnostic::{Code, Diagnostic};
use crate::yaml;
use std::path::Path;

/// One input file: the path as the user should see it and its raw bytes (at most
/// [`yaml::MAX_FILE_BYTES`] + 1 of them, which is enough to tell that a file is too large).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Input {
    pub display: String,
    pub bytes: Vec<u8>,
}

impl Input {
    pub fn new(display: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Input {
        Input {
            display: display.into(),
            bytes: bytes.into(),
        }
    }

    /// Read a file without trusting it: never more than one byte past the size limit, never
    /// through a symbolic link, never blocking (a FIFO or device is an error naming it).
    pub fn read(path: &Path) -> Result<Input, LoadError> {
        let display = display_path(path);
        match crate::source::safefs::read_limited(path, yaml::MAX_FILE_BYTES as u64)? {
            Some(bytes) => Ok(Input { display, bytes }),
            None => Err(LoadError::Io {
                path: display,
                message: "no such file".to_owned(),
            }),
        }
    }
}

/// Check raw bytes before parsing: bounded size, no NUL bytes, valid UTF-8 (a BOM is dropped).
pub fn decode(bytes: &[u8], display: &str) -> Result<String, Box<Diagnostic>> {
    if bytes.len() > yaml::MAX_FILE_BYTES {
        return Err(Box::new(Diagnostic::error(
            Code::FileTooLarge,
            format!("`{display}` is larger than {} KiB", yaml::MAX_FILE_BYTES / 1024),
        )
        .help("an environment file is a few KiB of YAML; check that the right file is in the environment directory")));
    }
    if let Some(at) = bytes.iter().position(|&b| b == 0) {
        return Err(Box::new(Diagnostic::error(Code::BinaryFile, format!("`{display}` is a binary file (NUL byte at offset {at})"))
            .help("environment files are UTF-8 YAML text; move other files out of the environment directory")));
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => {
            let text = text.strip_prefix('\u{feff}').unwrap_or(text);
            // Old Mac line endings (CR alone): a line break, byte for byte (spans stay put).
            if text.contains('\r') {
                let bytes = text.as_bytes();
                let fixed: Vec<u8> = bytes
                    .iter()
                    .enumerate()
                    .map(|(i, &b)| {
                        if b == b'\r' && bytes.get(i + 1) != Some(&b'\n') {
                            b'\n'
                        } else {
                            b
                        }
                    })
                    .collect();
                return Ok(String::from_utf8(fixed).unwrap_or_else(|_| text.to_owned()));
            }
            Ok(text.to_owned())
        }
        Err(e) => {
            let valid = e.valid_up_to();
            let prefix = String::from_utf8_lossy(&bytes[..valid]);
            let line = prefix.matches('\n').count() + 1;
            let column = prefix.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            Err(Box::new(Diagnostic::error(
                Code::InvalidUtf8,
                format!("`{display}` is not valid UTF-8 (first invalid byte at line {line}, column {column})"),
            )
            .help("save the file as UTF-8")))
        }
    }
}
