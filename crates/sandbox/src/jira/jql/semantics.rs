//! Semantic checks: gives each parsed clause a field, an operator the field supports and typed values (issue keys,
//! dates, periods, functions), with Jira's validation messages; and resolves `ORDER BY` fields.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta};

use super::{Clause, DateValue, Field, Op, Period, PropertyAlias, PropertyType, SortField, Value};

const DATE_FORMATS: &str = "Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', \
                            'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'.";

/// An operand as written, before the field gives it a type.
pub(super) enum RawValue {
    Empty,
    Str(String),
    Func { name: String, args: Vec<String> },
}

pub(super) enum Operand {
    One(RawValue),
    /// The items and the list as written, for messages.
    List(Vec<RawValue>, String),
}

pub(super) fn sort_field(name: &str, aliases: &[PropertyAlias]) -> Result<SortField, String> {
    let field = Field::lookup(name, aliases).map(|(field, _)| field);
    match (name.to_lowercase().as_str(), field) {
        ("created" | "createddate", _) => Ok(SortField::Created),
        ("updated" | "updateddate", _) => Ok(SortField::Updated),
        ("key" | "issuekey" | "issue", _) => Ok(SortField::Key),
        ("id", _) => Ok(SortField::Id),
        (_, Some(Field::Labels)) => Err(format!("Field '{name}' does not support sorting.")),
        (_, Some(_)) => Err(format!(
            "Sorting by '{name}' is not supported by the Jira simulator."
        )),
        (_, None) => Err(format!("Not able to sort using field '{name}'.")),
    }
}

pub(super) fn build_clause(
    name: String,
    op: Op,
    operand: Operand,
    aliases: &[PropertyAlias],
) -> Result<Clause, String> {
    let (field, alias) = Field::lookup(&name, aliases).ok_or_else(|| {
        format!("Field '{name}' does not exist or you do not have permission to view it.")
    })?;
    let op_str = op.as_str();
    if !field.supports(op) {
        return Err(format!(
            "The operator '{op_str}' is not supported by the '{name}' field."
        ));
    }
    let raw = match operand {
        Operand::List(items, _) if matches!(op, Op::In | Op::NotIn) => items,
        Operand::List(_, list) => {
            return Err(format!(
                "The operator '{op_str}' does not support the list value '{list}' for field '{name}'."
            ));
        }
        Operand::One(value) => vec![value],
    };
    if matches!(op, Op::Is | Op::IsNot) {
        if !matches!(raw.as_slice(), [RawValue::Empty]) {
            return Err(format!(
                "The operator '{op_str}' only supports searching for EMPTY values."
            ));
        }
        return Ok(Clause {
            field,
            name,
            op,
            values: Vec::new(),
            alias,
        });
    }
    let values = raw
        .into_iter()
        .map(|value| typed_value(field, &name, op, value))
        .collect::<Result<_, _>>()?;
    Ok(Clause {
        field,
        name,
        op,
        values,
        alias,
    })
}

fn typed_value(field: Field, name: &str, op: Op, value: RawValue) -> Result<Value, String> {
    let op_str = op.as_str();
    match value {
        RawValue::Empty if field == Field::Key => Err(format!(
            "The field '{name}' does not support searching for EMPTY values."
        )),
        RawValue::Empty if matches!(op, Op::Lt | Op::Le | Op::Gt | Op::Ge) => Err(format!(
            "The operator '{op_str}' does not support searching for EMPTY values."
        )),
        RawValue::Empty => Ok(Value::Empty),
        RawValue::Str(text) => match field {
            Field::Key => key_value(&text)
                .ok_or_else(|| format!("The issue key '{text}' for field '{name}' is invalid.")),
            Field::Created | Field::Updated | Field::Property(PropertyType::Date) => {
                parse_date(&text).map(Value::Date).ok_or_else(|| {
                    format!("Date value '{text}' for field '{name}' is invalid. {DATE_FORMATS}")
                })
            }
            _ => Ok(Value::Text(text)),
        },
        RawValue::Func {
            name: function,
            args,
        } => date_function(field, name, &function, &args).map(Value::Date),
    }
}

fn date_function(
    field: Field,
    name: &str,
    function: &str,
    args: &[String],
) -> Result<DateValue, String> {
    let lower = function.to_lowercase();
    if !matches!(lower.as_str(), "now" | "startofday" | "endofday") {
        return Err(format!(
            "Unable to find JQL function '{function}({})'.",
            args.join(", ")
        ));
    }
    if !matches!(
        field,
        Field::Created | Field::Updated | Field::Property(PropertyType::Date)
    ) {
        return Err(format!(
            "A value provided by the function '{function}' is invalid for the field '{name}'."
        ));
    }
    let received = args.len();
    match (lower.as_str(), args) {
        ("now", []) => Ok(DateValue::Now),
        ("now", _) => Err(format!(
            "Function '{function}' expected '0' arguments but received '{received}'."
        )),
        (_, [_, _, ..]) => Err(format!(
            "Function '{function}' expected between '0' and '1' arguments but received '{received}'."
        )),
        (_, args) => {
            let period = match args.first() {
                None => Period::default(),
                Some(arg) => parse_period(arg, true).ok_or_else(|| {
                    format!(
                        "Duration for function '{function}' should have the format (+/-)n(y|M|w|d|h|m), e.g. -1M \
                         for one month earlier."
                    )
                })?,
            };
            Ok(if lower == "startofday" {
                DateValue::StartOfDay(period)
            } else {
                DateValue::EndOfDay(period)
            })
        }
    }
}

/// `ABC-12` (any case) or a numeric issue id.
fn key_value(text: &str) -> Option<Value> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse().ok().map(Value::Id);
    }
    let (project, number) = super::eval::split_key(text)?;
    let mut chars = project.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    valid.then(|| Value::Key {
        project: project.to_ascii_uppercase(),
        number,
    })
}

/// A date literal (UTC), epoch milliseconds, or a period, resolved later against `now`.
fn parse_date(text: &str) -> Option<DateValue> {
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return DateTime::from_timestamp_millis(text.parse().ok()?).map(DateValue::At);
    }
    // Jira wants a four-digit year; chrono would take `09/1/1`.
    let four_digit_year = text.get(..5).is_some_and(|y| {
        y[..4].bytes().all(|b| b.is_ascii_digit()) && matches!(&y[4..], "-" | "/")
    });
    for format in ["%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M"]
        .into_iter()
        .filter(|_| four_digit_year)
    {
        if let Ok(at) = NaiveDateTime::parse_from_str(text, format) {
            return Some(DateValue::At(at.and_utc()));
        }
    }
    for format in ["%Y/%m/%d", "%Y-%m-%d"]
        .into_iter()
        .filter(|_| four_digit_year)
    {
        if let Ok(day) = NaiveDate::parse_from_str(text, format) {
            return Some(DateValue::At(day.and_hms_opt(0, 0, 0)?.and_utc()));
        }
    }
    parse_period(text, false).map(DateValue::Relative)
}

/// `-5d`, `4w 2d`, `+1h`: units `w`, `d`, `h`, `m` (minutes); a function argument may also use `y`, `M`
/// (months) or be a bare number of days.
fn parse_period(text: &str, function_arg: bool) -> Option<Period> {
    let text = text.trim();
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (mut months, mut minutes, mut groups) = (0i64, 0i64, 0);
    let mut chars = rest.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            break;
        }
        let mut n: Option<i64> = None;
        while let Some(digit) = chars
            .next_if(char::is_ascii_digit)
            .and_then(|c| c.to_digit(10))
        {
            n = Some(
                n.unwrap_or(0)
                    .checked_mul(10)?
                    .checked_add(i64::from(digit))?,
            );
        }
        let (month_factor, minute_factor) = match chars.next() {
            Some('w') => (0, 7 * 24 * 60),
            Some('d') => (0, 24 * 60),
            Some('h') => (0, 60),
            Some('m') => (0, 1),
            Some('y') if function_arg => (12, 0),
            Some('M') if function_arg => (1, 0),
            None if function_arg && groups == 0 => (0, 24 * 60),
            _ => return None,
        };
        let n = n?;
        months = months.checked_add(n.checked_mul(month_factor)?)?;
        minutes = minutes.checked_add(n.checked_mul(minute_factor)?)?;
        groups += 1;
    }
    if groups == 0 {
        return None;
    }
    let sign = if negative { -1 } else { 1 };
    Some(Period {
        months: i32::try_from(sign * months).ok()?,
        delta: TimeDelta::try_minutes(sign * minutes)?,
    })
}
