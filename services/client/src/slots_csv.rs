//! `slots.csv`, in the columns of the original system's stress-test plan:
//!
//! ```text
//! dentistId,clinicId,clinicName,patientId,startTime,endTime,status
//! dr-ek,haga-tandlakare,Haga Tandläkare,,2026-11-25T08:00:00Z,2026-11-25T08:30:00Z,free
//! ```
//!
//! Times are RFC 3339 (written in UTC; any offset is read). `status` is `free`, `booked` or
//! `withdrawn`; `patientId` is set only on booked rows. Quoting follows RFC 4180, so clinic
//! names may hold commas. Reading checks every line and reports every bad one with its line
//! number before anything is used: a file is taken whole or not at all.

use std::fmt;

use dentismile_domain::{
    ids::{ClinicId, DentistId, UserId},
    jiff::Timestamp,
};

/// The header line, exactly.
pub const HEADER: &str = "dentistId,clinicId,clinicName,patientId,startTime,endTime,status";

/// A slot's state in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowStatus {
    /// Bookable.
    Free,
    /// Held by `patientId`.
    Booked,
    /// Taken off the schedule.
    Withdrawn,
}

impl RowStatus {
    fn name(self) -> &'static str {
        match self {
            Self::Free => "free",
            Self::Booked => "booked",
            Self::Withdrawn => "withdrawn",
        }
    }
}

/// One slot of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotRow {
    /// The dentist.
    pub dentist_id: DentistId,
    /// The clinic.
    pub clinic_id: ClinicId,
    /// The clinic's name, as written (informational).
    pub clinic_name: String,
    /// The patient of a booked slot.
    pub patient_id: Option<UserId>,
    /// The slot's start.
    pub start: Timestamp,
    /// The slot's end.
    pub end: Timestamp,
    /// Its state.
    pub status: RowStatus,
}

/// A bad line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// 1-based line number in the file (the header is line 1).
    pub line: usize,
    /// What is wrong, naming the column.
    pub reason: String,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

/// Splits one line into fields (RFC 4180 quoting).
fn fields(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut at_start = true;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (false, '"') if at_start => {
                quoted = true;
                at_start = false;
            }
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => {
                quoted = false;
                if !matches!(chars.peek(), None | Some(',')) {
                    return Err("text after a closing quote".to_string());
                }
            }
            (false, ',') => {
                fields.push(std::mem::take(&mut field));
                at_start = true;
            }
            (_, c) => {
                field.push(c);
                at_start = false;
            }
        }
    }
    if quoted {
        return Err("a quote is not closed".to_string());
    }
    fields.push(field);
    Ok(fields)
}

fn parse_row(line: &str) -> Result<SlotRow, String> {
    let columns = fields(line)?;
    let [dentist, clinic, clinic_name, patient, start, end, status] = columns.as_slice() else {
        return Err(format!("expected 7 columns, found {}", columns.len()));
    };
    let dentist_id =
        DentistId::parse(dentist).map_err(|e| format!("dentistId: {}", e.message()))?;
    let clinic_id = ClinicId::parse(clinic).map_err(|e| format!("clinicId: {}", e.message()))?;
    let time = |column: &str, value: &str| {
        value.parse::<Timestamp>().map_err(|_| {
            format!("{column}: '{value}' is not an RFC 3339 time such as 2026-11-25T08:00:00Z")
        })
    };
    let start = time("startTime", start)?;
    let end = time("endTime", end)?;
    if end <= start {
        return Err(format!("endTime: {end} is not after startTime {start}"));
    }
    let status = match status.trim() {
        "free" => RowStatus::Free,
        "booked" => RowStatus::Booked,
        "withdrawn" => RowStatus::Withdrawn,
        other => {
            return Err(format!(
                "status: '{other}' is not free, booked or withdrawn"
            ));
        }
    };
    let patient_id = match (status, patient.trim()) {
        (RowStatus::Booked, "") => {
            return Err("patientId: a booked slot needs its patient".to_string());
        }
        (RowStatus::Booked, id) => {
            Some(UserId::parse(id).map_err(|e| format!("patientId: {}", e.message()))?)
        }
        (_, "") => None,
        (_, _) => {
            return Err(format!(
                "patientId: only booked slots have a patient, this one is {}",
                status.name()
            ));
        }
    };
    Ok(SlotRow {
        dentist_id,
        clinic_id,
        clinic_name: clinic_name.clone(),
        patient_id,
        start,
        end,
        status,
    })
}

/// A file read line by line: the rows that parse, with their line numbers, and every line that
/// does not. Callers that check rows further (against a schedule, say) can report every problem
/// of a file at once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadFile {
    /// Good rows with their 1-based line numbers.
    pub rows: Vec<(usize, SlotRow)>,
    /// Bad lines (the header is line 1).
    pub errors: Vec<LineError>,
}

/// Reads a whole file, keeping both the good rows and the bad lines.
pub fn read(text: &str) -> ReadFile {
    let mut read = ReadFile::default();
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, header)) if header.trim_start_matches('\u{feff}').trim() == HEADER => {}
        Some((_, header)) => read.errors.push(LineError {
            line: 1,
            reason: format!("the header must be `{HEADER}`, found `{}`", header.trim()),
        }),
        None => {
            read.errors.push(LineError {
                line: 1,
                reason: "the file is empty".to_string(),
            });
            return read;
        }
    }
    for (index, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        match parse_row(line.trim_end_matches('\r')) {
            Ok(row) => read.rows.push((index + 1, row)),
            Err(reason) => read.errors.push(LineError {
                line: index + 1,
                reason,
            }),
        }
    }
    read
}

/// Reads a whole file, all or nothing: every row, or every bad line.
pub fn parse(text: &str) -> Result<Vec<SlotRow>, Vec<LineError>> {
    let read = read(text);
    if read.errors.is_empty() {
        Ok(read.rows.into_iter().map(|(_, row)| row).collect())
    } else {
        Err(read.errors)
    }
}

fn quoted(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

/// Writes rows with the header, one line each, `\n`-terminated.
pub fn write(rows: &[SlotRow]) -> String {
    let mut text = String::with_capacity(64 * (rows.len() + 1));
    text.push_str(HEADER);
    text.push('\n');
    for row in rows {
        let patient = row.patient_id.map(|id| id.to_string()).unwrap_or_default();
        text.push_str(&format!(
            "{},{},{},{},{},{},{}\n",
            row.dentist_id,
            row.clinic_id,
            quoted(&row.clinic_name),
            patient,
            row.start,
            row.end,
            row.status.name()
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(status: RowStatus, patient: Option<UserId>) -> SlotRow {
        SlotRow {
            dentist_id: DentistId::parse("dr-ek").unwrap(),
            clinic_id: ClinicId::parse("haga-tandlakare").unwrap(),
            clinic_name: "Haga Tandläkare, \"Nya\"".to_string(),
            patient_id: patient,
            start: "2026-11-25T08:00:00Z".parse().unwrap(),
            end: "2026-11-25T08:30:00Z".parse().unwrap(),
            status,
        }
    }

    #[test]
    fn rows_round_trip_with_quoting() {
        let rows = vec![
            row(RowStatus::Free, None),
            row(RowStatus::Booked, Some(UserId::random())),
        ];
        let text = write(&rows);
        assert!(text.starts_with(HEADER));
        assert_eq!(parse(&text).unwrap(), rows);
    }

    #[test]
    fn every_bad_line_is_reported_with_its_number() {
        let text = format!(
            "{HEADER}\n\
             dr-ek,haga-tandlakare,Haga,,2026-11-25T08:00:00Z,2026-11-25T08:30:00Z,free\n\
             dr-ek,haga-tandlakare,Haga,,2026-11-25T08:30:00Z,2026-11-25T08:00:00Z,free\n\
             dr-ek,haga-tandlakare,Haga,,tomorrow,2026-11-25T08:00:00Z,free\n\
             \n\
             DR EK,haga-tandlakare,Haga,,2026-11-25T09:00:00Z,2026-11-25T09:30:00Z,free\n\
             dr-ek,haga-tandlakare,Haga,,2026-11-25T09:00:00Z,2026-11-25T09:30:00Z,open\n\
             dr-ek,haga-tandlakare,Haga,,2026-11-25T09:00:00Z,2026-11-25T09:30:00Z,booked\n\
             dr-ek,haga-tandlakare\n"
        );
        let errors = parse(&text).unwrap_err();
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [3, 4, 6, 7, 8, 9]);
        assert!(errors[0].reason.starts_with("endTime"), "{}", errors[0]);
        assert!(errors[1].reason.starts_with("startTime"), "{}", errors[1]);
        assert!(errors[2].reason.starts_with("dentistId"), "{}", errors[2]);
        assert!(errors[3].reason.starts_with("status"), "{}", errors[3]);
        assert!(errors[4].reason.starts_with("patientId"), "{}", errors[4]);
        assert!(errors[5].reason.contains("7 columns"), "{}", errors[5]);
        assert_eq!(
            errors[0].to_string(),
            format!("line 3: {}", errors[0].reason)
        );
    }

    #[test]
    fn reading_keeps_good_rows_with_their_lines_beside_the_bad_ones() {
        let text = format!(
            "{HEADER}\n\
             dr-ek,haga-tandlakare,Haga,,2026-11-25T08:00:00Z,2026-11-25T08:30:00Z,free\n\
             dr-ek,haga-tandlakare,Haga,,nonsense,2026-11-25T08:30:00Z,free\n\
             \n\
             dr-ek,haga-tandlakare,Haga,,2026-11-25T09:00:00Z,2026-11-25T09:30:00Z,free\n"
        );
        let read = read(&text);
        let lines: Vec<usize> = read.rows.iter().map(|(line, _)| *line).collect();
        assert_eq!(lines, [2, 5]);
        assert_eq!(read.errors.len(), 1);
        assert_eq!(read.errors[0].line, 3);
    }

    #[test]
    fn the_header_is_checked() {
        let errors = parse("dentist,clinic\n").unwrap_err();
        assert_eq!(errors[0].line, 1);
        assert!(parse("").is_err());
    }
}
