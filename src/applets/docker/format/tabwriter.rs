//! Elastic tabstops as Go's text/tabwriter computes them (docker/cli keeps
//! a fork that measures East Asian wide characters as two columns), so
//! tables line up exactly as Docker's do.
//!
//! Cells are terminated by tabs; the text after a line's last tab is no
//! column and is never padded. A line without tabs ends the column blocks
//! above it.

/// docker/cli's settings: `tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)`.
const DOCKER_MIN_WIDTH: usize = 10;
const DOCKER_PADDING: usize = 3;

struct Cell {
    text: String,
    width: usize,
}

pub struct TabWriter {
    min_width: usize,
    padding: usize,
    lines: Vec<Vec<Cell>>,
    cell: String,
    out: String,
}

impl TabWriter {
    pub fn new(min_width: usize, padding: usize) -> Self {
        TabWriter {
            min_width,
            padding,
            lines: vec![Vec::new()],
            cell: String::new(),
            out: String::new(),
        }
    }

    /// The writer docker uses for `ps`, `images`, `stats` and friends.
    pub fn docker() -> Self {
        Self::new(DOCKER_MIN_WIDTH, DOCKER_PADDING)
    }

    pub fn write(&mut self, text: &str) {
        for c in text.chars() {
            match c {
                '\t' | '\u{b}' => {
                    self.terminate_cell();
                }
                '\n' | '\u{c}' => {
                    let cells = self.terminate_cell();
                    self.lines.push(Vec::new());
                    // A line of one cell cannot affect later columns, so
                    // everything up to here can be laid out now.
                    if c == '\u{c}' || cells == 1 {
                        self.flush_lines();
                    }
                }
                c => self.cell.push(c),
            }
        }
    }

    /// Lays out what is buffered and returns all output so far.
    pub fn finish(mut self) -> String {
        if !self.cell.is_empty() {
            self.terminate_cell();
        }
        self.flush_lines();
        self.out
    }

    fn terminate_cell(&mut self) -> usize {
        let text = std::mem::take(&mut self.cell);
        let width = display_width(&text);
        let line = self.lines.last_mut().expect("always one line");
        line.push(Cell { text, width });
        line.len()
    }

    fn flush_lines(&mut self) {
        let mut widths = Vec::new();
        let count = self.lines.len();
        self.format(0, count, &mut widths);
        self.lines = vec![Vec::new()];
    }

    /// Lays out lines `line0..line1`, whose columns left of `widths.len()`
    /// already have their widths.
    fn format(&mut self, mut line0: usize, line1: usize, widths: &mut Vec<usize>) {
        let column = widths.len();
        let mut this = line0;
        while this < line1 {
            if column + 1 >= self.lines[this].len() {
                this += 1;
                continue;
            }
            // This line opens a block of lines sharing `column`.
            self.write_lines(line0, this, widths);
            line0 = this;
            let mut width = self.min_width;
            while this < line1 && column + 1 < self.lines[this].len() {
                width = width.max(self.lines[this][column].width + self.padding);
                this += 1;
            }
            widths.push(width);
            self.format(line0, this, widths);
            widths.pop();
            line0 = this;
        }
        self.write_lines(line0, line1, widths);
    }

    fn write_lines(&mut self, line0: usize, line1: usize, widths: &[usize]) {
        for i in line0..line1 {
            for (j, cell) in self.lines[i].iter().enumerate() {
                self.out.push_str(&cell.text);
                if let Some(&width) = widths.get(j) {
                    let fill = width.saturating_sub(cell.width);
                    self.out.extend(std::iter::repeat_n(' ', fill));
                }
            }
            // The last buffered line is still open: no newline yet.
            if i + 1 < self.lines.len() {
                self.out.push('\n');
            }
        }
    }
}

/// Terminal columns of `text`: East Asian wide and full-width characters
/// take two, combining marks none.
pub fn display_width(text: &str) -> usize {
    text.chars().map(char_width).sum()
}

fn char_width(c: char) -> usize {
    let code = c as u32;
    if code < 0x300 {
        return 1;
    }
    if (0x300..=0x36F).contains(&code) || (0x200B..=0x200F).contains(&code) {
        return 0;
    }
    const WIDE: &[(u32, u32)] = &[
        (0x1100, 0x115F),
        (0x231A, 0x231B),
        (0x2329, 0x232A),
        (0x23E9, 0x23EC),
        (0x2E80, 0x303E),
        (0x3041, 0x33FF),
        (0x3400, 0x4DBF),
        (0x4E00, 0x9FFF),
        (0xA000, 0xA4CF),
        (0xAC00, 0xD7A3),
        (0xF900, 0xFAFF),
        (0xFE30, 0xFE4F),
        (0xFF00, 0xFF60),
        (0xFFE0, 0xFFE6),
        (0x1F300, 0x1F64F),
        (0x1F900, 0x1F9FF),
        (0x20000, 0x3FFFD),
    ];
    if WIDE.iter().any(|&(lo, hi)| (lo..=hi).contains(&code)) {
        2
    } else {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Aligns a whole tab-separated text with docker's settings.
    fn table(text: &str) -> String {
        let mut writer = TabWriter::docker();
        writer.write(text);
        writer.finish()
    }

    #[test]
    fn empty_tables_have_docker_headers() {
        // What `docker ps` and `docker images` print with nothing to list.
        assert_eq!(
            table("CONTAINER ID\tIMAGE\tCOMMAND\tCREATED\tSTATUS\tPORTS\tNAMES\n"),
            "CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES\n"
        );
        assert_eq!(
            table("REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE\n"),
            "REPOSITORY   TAG       IMAGE ID   CREATED   SIZE\n"
        );
    }

    #[test]
    fn columns_take_the_widest_cell_plus_padding() {
        let text = "CONTAINER ID\tIMAGE\tCOMMAND\tNAMES\n\
                    4f66ad9a0b2e\tbusybox:latest\t\"sh -c 'sleep 100'\"\tweb\n\
                    1a2b3c4d5e6f\talpine\t\"top\"\tdb\n";
        assert_eq!(
            table(text),
            "CONTAINER ID   IMAGE            COMMAND               NAMES\n\
             4f66ad9a0b2e   busybox:latest   \"sh -c 'sleep 100'\"   web\n\
             1a2b3c4d5e6f   alpine           \"top\"                 db\n"
        );
    }

    #[test]
    fn golden_docker_context_ls() {
        // `docker context ls` from Docker CLI 28 (no daemon needed).
        let text = "NAME\tDESCRIPTION\tDOCKER ENDPOINT\tERROR\n\
                    default *\tCurrent DOCKER_HOST based configuration\tunix:///tmp/x/d.sock\t\n";
        assert_eq!(
            table(text),
            "NAME        DESCRIPTION                               DOCKER ENDPOINT        ERROR\n\
             default *   Current DOCKER_HOST based configuration   unix:///tmp/x/d.sock   \n"
        );
    }

    #[test]
    fn lines_without_tabs_end_column_blocks() {
        let text = "a\tb\nlonger-cell\tc\nplain line\nx\ty\n";
        assert_eq!(
            table(text),
            "a             b\nlonger-cell   c\nplain line\nx         y\n"
        );
    }

    #[test]
    fn ragged_rows_align_only_shared_columns() {
        let text = "a\tb\tc\naa\tbbbbbbbbbbbbbb\n";
        assert_eq!(
            table(text),
            "a         b         c\naa        bbbbbbbbbbbbbb\n"
        );
    }

    #[test]
    fn unterminated_last_line_is_written_without_newline() {
        assert_eq!(table("a\tb\nc\td"), "a         b\nc         d");
    }

    #[test]
    fn wide_characters_count_twice() {
        assert_eq!(display_width("名前"), 4);
        assert_eq!(display_width("e\u{301}"), 1);
        assert_eq!(
            table("名前名前名前\tx\nab\ty\n"),
            "名前名前名前   x\nab             y\n"
        );
    }
}
