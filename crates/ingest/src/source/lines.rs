//! Splits a byte stream into lines with `memchr`, in a buffer of bounded size.
//!
//! A line longer than the limit is not buffered whole: its first bytes are
//! kept, the rest is read and dropped up to the next newline, and the line is
//! reported as too long, so a 10 MB line (or a file with no newline at all)
//! costs no more memory than a short one.
//!
//! Lines end at `\n` (LF, and CRLF with its `\r` trimmed), or at `\r` in a
//! file written with classic Mac OS line ends, which [`line_end`] recognizes
//! from the file's head: read by `\n`, such a file is one line holding every
//! record.

use std::io::{self, Read};

/// One line of input, without its `\n` (and without a trailing `\r`).
#[derive(Debug)]
pub struct Line<'b> {
    /// The bytes of the line, or its first `max_line` bytes when `too_long`.
    pub bytes: &'b [u8],
    /// 1-based line number in the decompressed stream.
    pub number: u64,
    /// Whether the line exceeded the limit and was cut.
    pub too_long: bool,
}

/// A line splitter over any reader.
pub struct LineReader<R> {
    reader: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    max_line: usize,
    /// The byte that ends a line: `\n`, or `\r` (see [`line_end`]).
    terminator: u8,
    number: u64,
    /// The read error that ended the input, handed out after its lines.
    error: Option<io::Error>,
}

impl<R: Read> LineReader<R> {
    /// Splits `reader` into lines of at most `max_line` bytes.
    pub fn new(reader: R, max_line: usize) -> LineReader<R> {
        let capacity = max_line.max(64 * 1024) * 2;
        LineReader {
            reader,
            buf: vec![0; capacity],
            start: 0,
            end: 0,
            eof: false,
            max_line,
            terminator: b'\n',
            number: 0,
            error: None,
        }
    }

    /// Ends lines at `terminator` from now on (`\r` for a file
    /// [`line_end`] finds written with CR line ends).
    pub fn set_terminator(&mut self, terminator: u8) {
        self.terminator = terminator;
    }

    /// As [`new`](Self::new), for a piece of an input whose first line is
    /// line `first_line` (1-based) of the whole: lines are numbered from there.
    pub fn starting_at(reader: R, max_line: usize, first_line: u64) -> LineReader<R> {
        let mut lines = LineReader::new(reader, max_line);
        lines.number = first_line.saturating_sub(1);
        lines
    }

    /// Reads until at least `want` bytes are buffered (or the input ends) and
    /// returns what is buffered, without consuming it: for format detection.
    pub fn peek(&mut self, want: usize) -> io::Result<&[u8]> {
        self.skip_nul_run()?;
        let want = want.min(self.buf.len());
        if self.end - self.start < want {
            self.compact();
            while !self.eof && self.end - self.start < want {
                self.fill()?;
            }
        }
        Ok(&self.buf[self.start..self.end])
    }

    /// As [`peek`](Self::peek), but also stops once the first line is whole:
    /// a pipe (`vigie events -`) is sniffed from what it has sent so far, not
    /// held until `want` bytes arrive.
    pub fn peek_line(&mut self, want: usize) -> io::Result<&[u8]> {
        self.skip_nul_run()?;
        let want = want.min(self.buf.len());
        self.compact();
        while !self.eof
            && self.end - self.start < want
            && memchr::memchr(self.terminator, &self.buf[self.start..self.end]).is_none()
        {
            self.fill()?;
        }
        Ok(&self.buf[self.start..self.end])
    }

    /// The next line, or `None` at the end of the input. An I/O or
    /// decompression error is returned once the lines before it were given out.
    pub fn next_line(&mut self) -> io::Result<Option<Line<'_>>> {
        self.skip_nul_run()?;
        let mut scanned = 0;
        loop {
            let window = &self.buf[self.start + scanned..self.end];
            if let Some(pos) = memchr::memchr(self.terminator, window) {
                let line_end = self.start + scanned + pos;
                if line_end - self.start > self.max_line {
                    let cut = self.start + self.max_line;
                    return Ok(Some(self.take(cut, line_end + 1, true)));
                }
                return Ok(Some(self.take(line_end, line_end + 1, false)));
            }
            scanned = self.end - self.start;
            if scanned > self.max_line {
                return self.take_overlong().map(Some);
            }
            if self.eof {
                if self.start == self.end {
                    return match self.error.take() {
                        Some(e) => Err(e),
                        None => Ok(None),
                    };
                }
                let end = self.end;
                return Ok(Some(self.take(end, end, false)));
            }
            self.compact();
            self.fill()?;
        }
    }

    /// Passes over NUL bytes where a line starts, however many: logrotate's
    /// `copytruncate` empties a file its writer keeps appending to at the old
    /// offset, and the gap (as large as the rotated file) reads as NULs
    /// before the next line, which is whole behind them. Memory stays the
    /// buffer's.
    fn skip_nul_run(&mut self) -> io::Result<()> {
        loop {
            let run = self.buf[self.start..self.end]
                .iter()
                .position(|&b| b != 0)
                .unwrap_or(self.end - self.start);
            self.start += run;
            if self.start < self.end || self.eof {
                return Ok(());
            }
            self.compact();
            self.fill()?;
        }
    }

    /// Hands out the first `max_line` bytes of a line that has no newline in
    /// the buffer yet, and arranges for the rest of it to be dropped.
    fn take_overlong(&mut self) -> io::Result<Line<'_>> {
        // Move the kept prefix to the front and discard everything after it
        // up to the newline, reading in place past it.
        self.buf
            .copy_within(self.start..self.start + self.max_line, 0);
        let kept = self.max_line;
        self.start = 0;
        self.end = kept;
        loop {
            let n = self.read_into(kept)?;
            if n == 0 {
                self.eof = true;
                break;
            }
            if let Some(pos) = memchr::memchr(self.terminator, &self.buf[kept..kept + n]) {
                // Keep what follows the newline for the next call.
                self.buf.copy_within(kept + pos + 1..kept + n, kept);
                self.end = kept + n - pos - 1;
                break;
            }
        }
        self.number += 1;
        self.start = kept;
        Ok(Line {
            bytes: trim_cr(&self.buf[..kept]),
            number: self.number,
            too_long: true,
        })
    }

    fn take(&mut self, line_end: usize, next_start: usize, too_long: bool) -> Line<'_> {
        let begin = self.start;
        self.start = next_start;
        self.number += 1;
        Line {
            bytes: trim_cr(&self.buf[begin..line_end]),
            number: self.number,
            too_long,
        }
    }

    fn compact(&mut self) {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
    }

    /// Reads more. An error ends the input where it happened: the lines read
    /// before it are still handed out, then the error (a truncated `.gz`
    /// loses only its end, also when it ends within the sniffed head).
    fn fill(&mut self) -> io::Result<()> {
        let at = self.end;
        match self.read_into(at) {
            Ok(0) => self.eof = true,
            Ok(n) => self.end += n,
            Err(e) => {
                self.eof = true;
                self.error = Some(e);
            }
        }
        Ok(())
    }

    fn read_into(&mut self, at: usize) -> io::Result<usize> {
        loop {
            match self.reader.read(&mut self.buf[at..]) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => return other,
            }
        }
    }
}

/// The byte that ends the lines of an input whose first bytes are `head`:
/// `\r` when the head holds a CR and no LF (classic Mac OS line ends, as
/// some Windows and embedded appliances' exporters still write), else `\n`.
pub fn line_end(head: &[u8]) -> u8 {
    if memchr::memchr(b'\n', head).is_none() && memchr::memchr(b'\r', head).is_some() {
        b'\r'
    } else {
        b'\n'
    }
}

fn trim_cr(bytes: &[u8]) -> &[u8] {
    bytes.strip_suffix(b"\r").unwrap_or(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(input: &[u8], max: usize) -> Vec<(Vec<u8>, u64, bool)> {
        let mut reader = LineReader::new(input, max);
        let mut out = Vec::new();
        while let Some(line) = reader.next_line().unwrap() {
            out.push((line.bytes.to_vec(), line.number, line.too_long));
        }
        out
    }

    /// Gives `data`, then fails as a truncated compressed stream does.
    struct Truncated<'a>(&'a [u8]);

    impl Read for Truncated<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "cut"));
            }
            let n = self.0.len().min(buf.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn an_error_within_the_sniffed_head_still_gives_the_lines_before_it() {
        let mut reader = LineReader::new(Truncated(b"one\ntwo\nthr"), 100);
        assert_eq!(reader.peek(64 * 1024).unwrap(), b"one\ntwo\nthr");
        let mut lines = Vec::new();
        let error = loop {
            match reader.next_line() {
                Ok(Some(line)) => lines.push(line.bytes.to_vec()),
                Ok(None) => panic!("the error was lost"),
                Err(e) => break e,
            }
        };
        assert_eq!(lines, [&b"one"[..], b"two", b"thr"]);
        assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn splits_lf_and_crlf_and_keeps_a_last_line_without_newline() {
        let lines = collect(b"a\r\nbb\n\nccc", 100);
        let texts: Vec<&[u8]> = lines.iter().map(|l| l.0.as_slice()).collect();
        assert_eq!(texts, [&b"a"[..], b"bb", b"", b"ccc"]);
        assert_eq!(lines[3].1, 4);
    }

    #[test]
    fn a_file_with_cr_line_ends_is_split_at_each_cr() {
        let input = b"one\rtwo\r\rthree";
        assert_eq!(line_end(input), b'\r');
        assert_eq!(line_end(b"a\r\nb"), b'\n', "CRLF ends at LF");
        assert_eq!(
            line_end(b"a\rb\nc"),
            b'\n',
            "a stray CR in an LF file is content"
        );
        let mut reader = LineReader::new(&input[..], 100);
        reader.set_terminator(line_end(input));
        let mut lines = Vec::new();
        while let Some(line) = reader.next_line().unwrap() {
            lines.push((line.bytes.to_vec(), line.number));
        }
        let expected: [(&[u8], u64); 4] = [(b"one", 1), (b"two", 2), (b"", 3), (b"three", 4)];
        assert_eq!(lines, expected.map(|(b, n)| (b.to_vec(), n)));
    }

    #[test]
    fn a_nul_run_larger_than_the_line_limit_is_passed_over() {
        let mut input = vec![0u8; 3_000_000];
        input.extend(b"first\nsecond\n");
        input.extend(vec![0u8; 500_000]);
        input.extend(b"third");
        let mut reader = LineReader::new(&input[..], 1000);
        assert!(reader.peek(100).unwrap().starts_with(b"first\nsecond\n"));
        let lines = collect(&input, 1000);
        let expected: [(&[u8], u64, bool); 3] = [
            (b"first", 1, false),
            (b"second", 2, false),
            (b"third", 3, false),
        ];
        assert_eq!(lines, expected.map(|(b, n, t)| (b.to_vec(), n, t)));
    }

    #[test]
    fn cuts_overlong_lines_and_resumes_after_them() {
        let mut input = b"short\n".to_vec();
        input.extend(std::iter::repeat_n(b'x', 1_000_000));
        input.extend(b"\nafter\n");
        let lines = collect(&input, 1000);
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[1].0.len(), 1000);
        assert!(lines[1].2);
        assert_eq!(lines[2], (b"after".to_vec(), 3, false));
    }

    #[test]
    fn an_overlong_last_line_without_newline_ends_cleanly() {
        let input = vec![b'y'; 300_000];
        let lines = collect(&input, 1000);
        assert_eq!(lines.len(), 1);
        assert!(lines[0].2);
    }

    #[test]
    fn peek_does_not_consume() {
        let mut reader = LineReader::new(&b"one\ntwo\n"[..], 100);
        assert_eq!(reader.peek(100).unwrap(), b"one\ntwo\n");
        assert_eq!(reader.next_line().unwrap().unwrap().bytes, b"one");
    }
}
