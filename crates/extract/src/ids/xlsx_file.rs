//! XLSX ID files: checked part by part first ([`super::zip_parts`]), then read with calamine's streaming cell reader,
//! which never builds a sheet's grid — a sheet costs the cells it has, not the rows × columns it spans. The header
//! is each sheet's first row that has a value; rows must come in order, as Excel writes them.

use calamine::{Data, DataRef, Reader, Xlsx, XlsxCellReader, XlsxError};

use super::{
    Deadline, IdError, Limits,
    budget::CHECK_EVERY,
    column::Column,
    err, find_column, quoted,
    zip_parts::{self, Source},
};

/// The values of column `column` (found by its header) of the first sheet that has it.
pub(super) fn column(
    bytes: &[u8],
    file_name: &str,
    column: &str,
    limits: &Limits,
    deadline: Deadline,
) -> Result<Column, IdError> {
    let mut book = open(bytes, file_name, limits, deadline)?;
    for sheet in book.sheet_names() {
        let Some(mut cells) = Cells::open(&mut book, &sheet, file_name, limits, deadline)? else {
            continue;
        };
        let Some((header_row, header, next)) = cells.header()? else {
            continue;
        };
        let names = header.iter().map(|(_, name)| name.as_str());
        let Ok(index) = find_column(names, column, file_name) else {
            continue;
        };
        return cells.column(header_row, header[index].0, next);
    }
    Err(err(format!(
        "{file_name} has no sheet whose header row has a column {column:?}"
    )))
}

/// Each sheet's header names, in sheet order.
pub(super) fn names(
    bytes: &[u8],
    file_name: &str,
    limits: &Limits,
    deadline: Deadline,
) -> Result<Vec<String>, IdError> {
    let mut book = open(bytes, file_name, limits, deadline)?;
    let mut names = Vec::new();
    for sheet in book.sheet_names() {
        if let Some(mut cells) = Cells::open(&mut book, &sheet, file_name, limits, deadline)?
            && let Some((_, header, _)) = cells.header()?
        {
            names.extend(header.into_iter().map(|(_, name)| name));
            if names.len() > limits.max_columns {
                return Err(too_many_headers(file_name, limits));
            }
        }
    }
    Ok(names)
}

/// Open a workbook that passed the checks of every part.
fn open<'a>(
    bytes: &'a [u8],
    file_name: &str,
    limits: &Limits,
    deadline: Deadline,
) -> Result<Xlsx<Source<'a>>, IdError> {
    zip_parts::check(bytes, file_name, limits, deadline)?;
    Xlsx::new(zip_parts::source(bytes, deadline))
        .map_err(|e| zip_parts::unreadable(file_name, deadline, &e))
}

/// A cell with a value: its (row, column), 0-based as calamine counts.
type Found<'a> = ((u32, u32), DataRef<'a>);

/// One sheet's cells with a value, in file order, counted and timed.
struct Cells<'a, 'b> {
    reader: XlsxCellReader<'a, Source<'b>>,
    read: u64,
    /// The sheet's name, cut short, for messages.
    sheet: String,
    file_name: &'a str,
    limits: &'a Limits,
    deadline: Deadline,
}

impl<'a, 'b> Cells<'a, 'b> {
    /// The sheet's cells; `None` for a sheet that is not a worksheet (a chart).
    fn open(
        book: &'a mut Xlsx<Source<'b>>,
        sheet: &str,
        file_name: &'a str,
        limits: &'a Limits,
        deadline: Deadline,
    ) -> Result<Option<Self>, IdError> {
        match book.worksheet_cells_reader(sheet) {
            Ok(reader) => Ok(Some(Self {
                reader,
                read: 0,
                sheet: quoted(&sheet),
                file_name,
                limits,
                deadline,
            })),
            Err(XlsxError::NotAWorksheet(_)) => Ok(None),
            Err(e) => Err(sheet_error(file_name, sheet, deadline, &e)),
        }
    }

    /// The next cell that has a value.
    fn next(&mut self) -> Result<Option<Found<'a>>, IdError> {
        loop {
            self.read += 1;
            if self.read > self.limits.max_cells {
                return Err(err(format!(
                    "{}, sheet {:?}: more than {} cells; at most {} cells are read — save only the ID column",
                    self.file_name, self.sheet, self.limits.max_cells, self.limits.max_cells
                )));
            }
            if self.read.is_multiple_of(CHECK_EVERY) {
                self.deadline.check(self.file_name)?;
            }
            let cell = self
                .reader
                .next_cell()
                .map_err(|e| sheet_error(self.file_name, &self.sheet, self.deadline, &e))?;
            match cell {
                None => return Ok(None),
                Some(c) if matches!(c.get_value(), DataRef::Empty) => {}
                Some(c) => return Ok(Some((c.get_position(), c.get_value().clone()))),
            }
        }
    }

    /// The header: the row of the first cell with a value, its (column, name) cells, and the first cell after it.
    #[expect(clippy::type_complexity, reason = "a private step of one reader")]
    fn header(&mut self) -> Result<Option<(u32, Vec<(u32, String)>, Option<Found<'a>>)>, IdError> {
        let Some(((row, col), value)) = self.next()? else {
            return Ok(None);
        };
        let mut header = vec![(col, cell_text(value))];
        loop {
            match self.next()? {
                Some(((r, c), v)) if r == row => {
                    if header.len() >= self.limits.max_columns {
                        return Err(too_many_headers(self.file_name, self.limits));
                    }
                    header.push((c, cell_text(v)));
                }
                next => return Ok(Some((row, header, next))),
            }
        }
    }

    /// The values of column `col` in the rows below `header_row`, starting with `next`.
    fn column(
        mut self,
        header_row: u32,
        col: u32,
        mut next: Option<Found<'a>>,
    ) -> Result<Column, IdError> {
        let mut values = Column::default();
        // The last row that had a cell with a value, and the last row whose ID cell was read.
        let (mut last_row, mut last_value_row) = (header_row, header_row);
        while let Some(((row, c), value)) = next {
            if row < last_row {
                return Err(err(format!(
                    "{}, sheet {:?}: row {} comes after row {}; open it in Excel and save it again, or export the \
                     ID column as CSV",
                    self.file_name,
                    self.sheet,
                    u64::from(row) + 1,
                    u64::from(last_row) + 1
                )));
            }
            last_row = row;
            if c == col && row > last_value_row {
                values.push_empty(u64::from(row - last_value_row - 1), self.limits)?;
                values.push(&cell_text(value), self.limits)?;
                last_value_row = row;
            }
            next = self.next()?;
        }
        values.push_empty(u64::from(last_row - last_value_row), self.limits)?;
        Ok(values)
    }
}

fn too_many_headers(file_name: &str, limits: &Limits) -> IdError {
    err(format!(
        "{file_name} has more than {} header cells; keep only the sheet with the ID column",
        limits.max_columns
    ))
}

fn sheet_error(file_name: &str, sheet: &str, deadline: Deadline, e: &XlsxError) -> IdError {
    if deadline.passed() {
        return deadline.exceeded(file_name);
    }
    let sheet = quoted(&sheet);
    err(format!(
        "{file_name}, sheet {sheet:?}: {}; open it in Excel and save it again, or export the ID column as CSV",
        quoted(e)
    ))
}

fn cell_text(c: DataRef<'_>) -> String {
    match Data::from(c) {
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => format!("{}", f as i64),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}
