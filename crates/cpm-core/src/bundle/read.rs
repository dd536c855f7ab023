//! Reading a bundle's payload: MessagePack, as `rmp-serde` writes a [`Program`], decoded by
//! hand into the program.
//!
//! Pipeline position: inside [`crate::bundle::decode`], between the hash check and `decide`.
//! The payload is written by `rmp-serde` (`rmp_serde::to_vec`): structs and tuples are
//! arrays of their fields in declaration order, `None` is nil and `Some(x)` is `x`, a unit
//! enum variant is its name as a string, any other variant is a one-entry map from its name
//! to its content (a newtype variant's value, a tuple or struct variant's fields as an
//! array), decimals are their text, integers use the smallest MessagePack form.
//!
//! Reading it with `serde`'s derived `Deserialize` through `rmp-serde` is correct too, but
//! monomorphises the whole IR for a self-describing deserializer: about 600 KB of
//! WebAssembly in the browser build, against about 30 KB here. Tests check that both
//! readers agree on every bundle the test models and examples build.

use std::str::FromStr;
use std::sync::Arc;

use rmp::Marker;
use rust_decimal::Decimal;

use crate::feel::ast::{
    Args, ArithOp, CmpOp, Expr, ExprKind, Iteration, IterationSource, Quantifier, Span, TypeRef,
    UnaryTest,
};
use crate::ir::process::{
    CaseField, Field, Intake, IntakeRule, Process, Send, Step, StepKind, Task, Template, Wait,
    WaitFor,
};
use crate::ir::{
    Body, Cell, Decision, Input, Knowledge, Model, Program, Rule, Table, TableInput, TableOutput,
    Test, TestCase, TypeDef,
};
use crate::source::{Aggregation, Channel, HitPolicy};

/// How deep expressions, types and context bodies may nest in a payload (far above what
/// the compiler writes: FEEL nesting stops at 100), so a hostile payload cannot exhaust the
/// stack.
const MAX_DEPTH: u32 = 1024;

/// Decodes a payload into a program.
///
/// # Errors
/// A message naming what was expected and at which byte of the payload, when the payload
/// is not a program as this build writes it (or has bytes after it).
pub(crate) fn program(payload: &[u8]) -> Result<Program, String> {
    whole(payload, Program::read)
}

/// Decodes a payload's models; the processes and templates are skipped (checked as
/// MessagePack only) and the program holds none.
///
/// # Errors
/// As [`program`].
pub(crate) fn decisions(payload: &[u8]) -> Result<Program, String> {
    whole(payload, |r| {
        r.fields(3, "a program")?;
        let models = Read::read(r)?;
        r.skip("a list of processes")?;
        r.skip("a list of templates")?;
        Ok(Program {
            models,
            processes: Vec::new(),
            templates: Vec::new(),
        })
    })
}

/// Reads the payload with `read`, which must consume all of it.
fn whole(
    payload: &[u8],
    read: impl FnOnce(&mut Reader<'_>) -> Res<Program>,
) -> Result<Program, String> {
    let mut r = Reader {
        bytes: payload,
        pos: 0,
        depth: 0,
    };
    let program = read(&mut r).map_err(|e| e.message())?;
    if r.pos != payload.len() {
        return Err(format!(
            "the program ends at byte {} of {}",
            r.pos,
            payload.len()
        ));
    }
    Ok(program)
}

/// Where decoding stopped and what it expected there.
struct ReadError {
    at: usize,
    expected: &'static str,
}

impl ReadError {
    fn message(&self) -> String {
        format!("expected {} at byte {}", self.expected, self.at)
    }
}

type Res<T> = Result<T, ReadError>;

/// A cursor over the payload.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    depth: u32,
}

impl<'a> Reader<'a> {
    fn fail<T>(&self, at: usize, expected: &'static str) -> Res<T> {
        Err(ReadError { at, expected })
    }

    fn take(&mut self, n: usize, expected: &'static str) -> Res<&'a [u8]> {
        let start = self.pos;
        match self.bytes.get(start..start.saturating_add(n)) {
            Some(slice) => {
                self.pos = start + n;
                Ok(slice)
            }
            None => self.fail(start, expected),
        }
    }

    /// An `n`-byte big-endian unsigned number.
    fn be(&mut self, n: usize, expected: &'static str) -> Res<u64> {
        let bytes = self.take(n, expected)?;
        Ok(bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }

    fn marker(&mut self, expected: &'static str) -> Res<Marker> {
        let byte = self.take(1, expected)?;
        Ok(Marker::from_u8(byte[0]))
    }

    fn peek(&self) -> Option<Marker> {
        self.bytes.get(self.pos).map(|b| Marker::from_u8(*b))
    }

    /// The length of an array.
    fn array(&mut self, expected: &'static str) -> Res<usize> {
        let at = self.pos;
        let len = match self.marker(expected)? {
            Marker::FixArray(n) => u64::from(n),
            Marker::Array16 => self.be(2, expected)?,
            Marker::Array32 => self.be(4, expected)?,
            _ => return self.fail(at, expected),
        };
        self.count(len, at, expected)
    }

    /// A container length, refused when the payload cannot hold that many values (each
    /// takes at least one byte), so a hostile length never reserves memory.
    fn count(&self, len: u64, at: usize, expected: &'static str) -> Res<usize> {
        match usize::try_from(len) {
            Ok(n) if n <= self.bytes.len() - self.pos => Ok(n),
            _ => self.fail(at, expected),
        }
    }

    /// The array of a struct or tuple with `n` fields.
    fn fields(&mut self, n: usize, expected: &'static str) -> Res<()> {
        let at = self.pos;
        if self.array(expected)? == n {
            Ok(())
        } else {
            self.fail(at, expected)
        }
    }

    fn str(&mut self, expected: &'static str) -> Res<&'a str> {
        let at = self.pos;
        let len = match self.marker(expected)? {
            Marker::FixStr(n) => u64::from(n),
            Marker::Str8 => self.be(1, expected)?,
            Marker::Str16 => self.be(2, expected)?,
            Marker::Str32 => self.be(4, expected)?,
            _ => return self.fail(at, expected),
        };
        let len = self.count(len, at, expected)?;
        let bytes = self.take(len, expected)?;
        match std::str::from_utf8(bytes) {
            Ok(s) => Ok(s),
            Err(_) => self.fail(at, expected),
        }
    }

    /// Any integer, whatever its MessagePack width.
    fn int(&mut self, expected: &'static str) -> Res<i128> {
        let at = self.pos;
        Ok(match self.marker(expected)? {
            Marker::FixPos(n) => i128::from(n),
            Marker::FixNeg(n) => i128::from(n),
            Marker::U8 => i128::from(self.be(1, expected)?),
            Marker::U16 => i128::from(self.be(2, expected)?),
            Marker::U32 => i128::from(self.be(4, expected)?),
            Marker::U64 => i128::from(self.be(8, expected)?),
            Marker::I8 => i128::from(self.be(1, expected)? as u8 as i8),
            Marker::I16 => i128::from(self.be(2, expected)? as u16 as i16),
            Marker::I32 => i128::from(self.be(4, expected)? as u32 as i32),
            Marker::I64 => i128::from(self.be(8, expected)? as i64),
            _ => return self.fail(at, expected),
        })
    }

    /// An enum's variant: its name, and whether content follows (a one-entry map) or not
    /// (a plain string, a unit variant).
    fn variant(&mut self, expected: &'static str) -> Res<(&'a str, bool)> {
        match self.peek() {
            Some(Marker::FixMap(1)) => {
                self.pos += 1;
                Ok((self.str(expected)?, true))
            }
            _ => Ok((self.str(expected)?, false)),
        }
    }

    /// Consumes a nil and says so, or leaves anything else unread.
    fn nil(&mut self) -> bool {
        let nil = self.peek() == Some(Marker::Null);
        if nil {
            self.pos += 1;
        }
        nil
    }

    /// Skips one MessagePack value of any kind, nested values included.
    fn skip(&mut self, expected: &'static str) -> Res<()> {
        let at = self.pos;
        // The bytes that follow the marker, and the values that follow those.
        let (bytes, values) = match self.marker(expected)? {
            Marker::Null | Marker::True | Marker::False | Marker::FixPos(_) | Marker::FixNeg(_) => {
                (0, 0)
            }
            Marker::U8 | Marker::I8 => (1, 0),
            Marker::U16 | Marker::I16 => (2, 0),
            Marker::U32 | Marker::I32 | Marker::F32 => (4, 0),
            Marker::U64 | Marker::I64 | Marker::F64 => (8, 0),
            Marker::FixStr(n) => (u64::from(n), 0),
            Marker::Str8 | Marker::Bin8 => (self.be(1, expected)?, 0),
            Marker::Str16 | Marker::Bin16 => (self.be(2, expected)?, 0),
            Marker::Str32 | Marker::Bin32 => (self.be(4, expected)?, 0),
            Marker::FixArray(n) => (0, u64::from(n)),
            Marker::Array16 => (0, self.be(2, expected)?),
            Marker::Array32 => (0, self.be(4, expected)?),
            Marker::FixMap(n) => (0, 2 * u64::from(n)),
            Marker::Map16 => (0, 2 * self.be(2, expected)?),
            Marker::Map32 => (0, 2 * self.be(4, expected)?),
            _ => return self.fail(at, expected),
        };
        let bytes = self.count(bytes, at, expected)?;
        self.take(bytes, expected)?;
        let values = self.count(values, at, expected)?;
        self.nest(expected)?;
        for _ in 0..values {
            self.skip(expected)?;
        }
        self.depth -= 1;
        Ok(())
    }

    /// Enters one level of nesting.
    fn nest(&mut self, expected: &'static str) -> Res<()> {
        if self.depth >= MAX_DEPTH {
            return self.fail(self.pos, expected);
        }
        self.depth += 1;
        Ok(())
    }
}

/// A value that can be read from the payload.
trait Read: Sized {
    fn read(r: &mut Reader<'_>) -> Res<Self>;
}

impl Read for String {
    fn read(r: &mut Reader<'_>) -> Res<Self> {
        r.str("a string").map(str::to_owned)
    }
}

impl Read for Arc<str> {
    fn read(r: &mut Reader<'_>) -> Res<Self> {
        r.str("a string").map(Arc::from)
    }
}

impl Read for bool {
    fn read(r: &mut Reader<'_>) -> Res<Self> {
        let at = r.pos;
        match r.marker("a boolean")? {
            Marker::True => Ok(true),
            Marker::False => Ok(false),
            _ => r.fail(at, "a boolean"),
        }
    }
}

impl Read for u32 {
    fn read(r: &mut Reader<'_>) -> Res<Self> {
        let at = r.pos;
        let n = r.int("an unsigned 32-bit integer")?;
        u32::try_from(n).or_else(|_| r.fail(at, "an unsigned 32-bit integer"))
    }
}

impl Read for i64 {
    fn read(r: &mut Reader<'_>) -> Res<Self> {
        let at = r.pos;
        let n = r.int("a 64-bit integer")?;
        i64::try_from(n).or_else(|_| r.fail(at, "a 64-bit integer"))
    }
}

impl Read for Decimal {
    fn read(r: &mut Reader<'_>) -> Res<Self> {
        let at = r.pos;
        let text = r.str("a decimal")?;
        Decimal::from_str(text)
            .or_else(|_| Decimal::from_scientific(text))
            .or_else(|_| r.fail(at, "a decimal"))
    }
}

impl<T: Read> Read for Option<T> {
    fn read(r: &mut Reader<'_>) -> Res<Self> {
        if r.nil() {
            Ok(None)
        } else {
            T::read(r).map(Some)
        }
    }
}

impl<T: Read> Read for Box<T> {
    fn read(r: &mut Reader<'_>) -> Res<Self> {
        T::read(r).map(Box::new)
    }
}

impl<T: Read> Read for Vec<T> {
    fn read(r: &mut Reader<'_>) -> Res<Self> {
        let len = r.array("a list")?;
        let mut items = Vec::with_capacity(len);
        for _ in 0..len {
            items.push(T::read(r)?);
        }
        Ok(items)
    }
}

impl<A: Read, B: Read> Read for (A, B) {
    fn read(r: &mut Reader<'_>) -> Res<Self> {
        r.fields(2, "a pair")?;
        Ok((A::read(r)?, B::read(r)?))
    }
}

/// Reads a struct: the array of its fields, each read in order. Fields after `skip` are
/// not in the bundle (`#[serde(skip)]`) and start from their default.
macro_rules! read_struct {
    ($ty:ident, $what:literal { $($field:ident),+ $(,)? } $(skip { $($skipped:ident),+ })?) => {
        impl Read for $ty {
            fn read(r: &mut Reader<'_>) -> Res<Self> {
                r.fields([$(stringify!($field)),+].len(), $what)?;
                Ok($ty { $($field: Read::read(r)?,)+ $($($skipped: Default::default(),)+)? })
            }
        }
    };
}

read_struct!(Program, "a program" { models, processes, templates });
read_struct!(Model, "a model" { name, types, inputs, knowledge, decisions, tests });
read_struct!(TypeDef, "a type definition" { name, base, allowed });
read_struct!(Input, "an input" { name, ty });
read_struct!(Knowledge, "a business knowledge model" { name, params, ty, body });
read_struct!(Decision, "a decision" { name, ty, body, plan, reads });
read_struct!(Table, "a decision table" { hit, inputs, outputs, rules } skip { index });
read_struct!(TableInput, "a table input" { text, expr });
read_struct!(TableOutput, "a table output" { name, ty, values, default });
read_struct!(Rule, "a rule" { id, when, then, note });
read_struct!(TestCase, "a test case" { name, input, expect });
read_struct!(Process, "a process" {
    name, description, intake, data, fields, sla, at_risk, escalate_to, start, steps,
});
read_struct!(Intake, "an intake" { rule, priority });
read_struct!(Field, "a data field" { name, ty, required, valid, message });
read_struct!(CaseField, "a case field" { name, ty });
read_struct!(Step, "a step" { id, next, kind });
read_struct!(Task, "a task" { queue, title, form, sla, escalate_to });
read_struct!(Send, "a send step" { template, channel, to });
read_struct!(Wait, "a wait step" { waits_for, timeout, on_timeout });
read_struct!(Template, "a template" { name, subject, body });
read_struct!(Span, "a span" { start, end });
read_struct!(Iteration, "an iteration" { name, source });

/// Reads an enum whose variants all carry no data: its variant name.
macro_rules! read_unit_enum {
    ($ty:ident, $what:literal { $($name:literal => $variant:expr),+ $(,)? }) => {
        impl Read for $ty {
            fn read(r: &mut Reader<'_>) -> Res<Self> {
                let at = r.pos;
                match r.str($what)? {
                    $($name => Ok($variant),)+
                    _ => r.fail(at, $what),
                }
            }
        }
    };
}

read_unit_enum!(ArithOp, "an arithmetic operator" {
    "Add" => ArithOp::Add, "Sub" => ArithOp::Sub, "Mul" => ArithOp::Mul,
    "Div" => ArithOp::Div, "Pow" => ArithOp::Pow,
});
read_unit_enum!(CmpOp, "a comparison operator" {
    "Eq" => CmpOp::Eq, "Ne" => CmpOp::Ne, "Lt" => CmpOp::Lt,
    "Le" => CmpOp::Le, "Gt" => CmpOp::Gt, "Ge" => CmpOp::Ge,
});
read_unit_enum!(Quantifier, "a quantifier" {
    "Some" => Quantifier::Some, "Every" => Quantifier::Every,
});
read_unit_enum!(Aggregation, "an aggregation" {
    "Sum" => Aggregation::Sum, "Min" => Aggregation::Min,
    "Max" => Aggregation::Max, "Count" => Aggregation::Count,
});
read_unit_enum!(Channel, "a channel" {
    "email" => Channel::Email, "letter" => Channel::Letter, "sms" => Channel::Sms,
});

impl Reader<'_> {
    /// The field array of a tuple or struct variant with `n` fields.
    fn tuple(&mut self, n: usize, expected: &'static str) -> Res<&mut Self> {
        self.fields(n, expected)?;
        Ok(self)
    }
}

// Enums with data: `r.variant` gives the name and whether content follows; each arm
// accepts its variant only in its own form (unit: no content; newtype: the value; tuple
// or struct: an array of the fields).

impl Read for HitPolicy {
    fn read(r: &mut Reader<'_>) -> Res<Self> {
        const WHAT: &str = "a hit policy";
        let at = r.pos;
        Ok(match r.variant(WHAT)? {
            ("Unique", false) => HitPolicy::Unique,
            ("Any", false) => HitPolicy::Any,
            ("Priority", false) => HitPolicy::Priority,
            ("First", false) => HitPolicy::First,
            ("OutputOrder", false) => HitPolicy::OutputOrder,
            ("RuleOrder", false) => HitPolicy::RuleOrder,
            ("Collect", true) => HitPolicy::Collect(Read::read(r)?),
            _ => return r.fail(at, WHAT),
        })
    }
}

impl Read for WaitFor {
    fn read(r: &mut Reader<'_>) -> Res<Self> {
        const WHAT: &str = "what a step waits for";
        let at = r.pos;
        Ok(match r.variant(WHAT)? {
            ("CustomerReply", false) => WaitFor::CustomerReply,
            ("Feedback", false) => WaitFor::Feedback,
            ("Data", false) => WaitFor::Data,
            ("Event", true) => WaitFor::Event(Read::read(r)?),
            _ => return r.fail(at, WHAT),
        })
    }
}

impl Read for IntakeRule {
    fn read(r: &mut Reader<'_>) -> Res<Self> {
        const WHAT: &str = "an intake rule";
        let at = r.pos;
        Ok(match r.variant(WHAT)? {
            ("When", true) => IntakeRule::When(Read::read(r)?),
            ("Decision", true) => IntakeRule::Decision(Read::read(r)?),
            _ => return r.fail(at, WHAT),
        })
    }
}

impl Read for StepKind {
    fn read(r: &mut Reader<'_>) -> Res<Self> {
        const WHAT: &str = "a step kind";
        let at = r.pos;
        Ok(match r.variant(WHAT)? {
            ("Decide", true) => StepKind::Decide {
                decision: Read::read(r.tuple(2, WHAT)?)?,
                store_as: Read::read(r)?,
            },
            ("Route", true) => StepKind::Route {
                branches: Read::read(r.tuple(2, WHAT)?)?,
                default: Read::read(r)?,
            },
            ("Task", true) => StepKind::Task(Read::read(r)?),
            ("Send", true) => StepKind::Send(Read::read(r)?),
            ("Record", true) => StepKind::Record {
                system: Read::read(r.tuple(2, WHAT)?)?,
                change: Read::read(r)?,
            },
            ("Wait", true) => StepKind::Wait(Read::read(r)?),
            ("End", true) => StepKind::End {
                outcome: Read::read(r.tuple(2, WHAT)?)?,
                root_cause: Read::read(r)?,
            },
            _ => return r.fail(at, WHAT),
        })
    }
}

impl Read for Body {
    fn read(r: &mut Reader<'_>) -> Res<Self> {
        const WHAT: &str = "a decision body";
        let at = r.pos;
        r.nest(WHAT)?;
        let body = match r.variant(WHAT)? {
            ("Expr", true) => Body::Expr(Read::read(r)?),
            ("Table", true) => Body::Table(Read::read(r)?),
            ("Context", true) => Body::Context {
                entries: Read::read(r.tuple(2, WHAT)?)?,
                result: Read::read(r)?,
            },
            _ => return r.fail(at, WHAT),
        };
        r.depth -= 1;
        Ok(body)
    }
}

impl Read for Cell {
    fn read(r: &mut Reader<'_>) -> Res<Self> {
        const WHAT: &str = "a table cell";
        let at = r.pos;
        Ok(match r.variant(WHAT)? {
            ("Any", false) => Cell::Any,
            ("Tests", true) => Cell::Tests {
                negated: Read::read(r.tuple(2, WHAT)?)?,
                tests: Read::read(r)?,
            },
            _ => return r.fail(at, WHAT),
        })
    }
}

impl Read for Test {
    fn read(r: &mut Reader<'_>) -> Res<Self> {
        const WHAT: &str = "a cell test";
        let at = r.pos;
        Ok(match r.variant(WHAT)? {
            ("Compare", true) => Test::Compare(Read::read(r.tuple(2, WHAT)?)?, Read::read(r)?),
            ("Value", true) => Test::Value(Read::read(r)?),
            ("Predicate", true) => Test::Predicate(Read::read(r)?),
            _ => return r.fail(at, WHAT),
        })
    }
}

impl Read for UnaryTest {
    fn read(r: &mut Reader<'_>) -> Res<Self> {
        const WHAT: &str = "a unary test";
        let at = r.pos;
        Ok(match r.variant(WHAT)? {
            ("Compare", true) => UnaryTest::Compare(Read::read(r.tuple(2, WHAT)?)?, Read::read(r)?),
            ("Expr", true) => UnaryTest::Expr(Read::read(r)?),
            _ => return r.fail(at, WHAT),
        })
    }
}

impl Read for Args {
    fn read(r: &mut Reader<'_>) -> Res<Self> {
        const WHAT: &str = "call arguments";
        let at = r.pos;
        Ok(match r.variant(WHAT)? {
            ("Positional", true) => Args::Positional(Read::read(r)?),
            ("Named", true) => Args::Named(Read::read(r)?),
            _ => return r.fail(at, WHAT),
        })
    }
}

impl Read for IterationSource {
    fn read(r: &mut Reader<'_>) -> Res<Self> {
        const WHAT: &str = "an iteration source";
        let at = r.pos;
        Ok(match r.variant(WHAT)? {
            ("List", true) => IterationSource::List(Read::read(r)?),
            ("Range", true) => IterationSource::Range {
                from: Read::read(r.tuple(2, WHAT)?)?,
                to: Read::read(r)?,
            },
            _ => return r.fail(at, WHAT),
        })
    }
}

impl Read for TypeRef {
    fn read(r: &mut Reader<'_>) -> Res<Self> {
        const WHAT: &str = "a type";
        let at = r.pos;
        r.nest(WHAT)?;
        let ty = match r.variant(WHAT)? {
            ("Any", false) => TypeRef::Any,
            ("Null", false) => TypeRef::Null,
            ("Named", true) => TypeRef::Named(Read::read(r)?),
            ("List", true) => TypeRef::List(Read::read(r)?),
            ("Range", true) => TypeRef::Range(Read::read(r)?),
            ("Context", true) => TypeRef::Context(Read::read(r)?),
            ("Function", true) => TypeRef::Function(Read::read(r.tuple(2, WHAT)?)?, Read::read(r)?),
            _ => return r.fail(at, WHAT),
        };
        r.depth -= 1;
        Ok(ty)
    }
}

impl Read for Expr {
    fn read(r: &mut Reader<'_>) -> Res<Self> {
        const WHAT: &str = "an expression";
        r.fields(2, WHAT)?;
        r.nest(WHAT)?;
        let kind = ExprKind::read(r)?;
        r.depth -= 1;
        Ok(Expr {
            kind,
            span: Read::read(r)?,
        })
    }
}

impl Read for ExprKind {
    fn read(r: &mut Reader<'_>) -> Res<Self> {
        const WHAT: &str = "an expression";
        let at = r.pos;
        Ok(match r.variant(WHAT)? {
            ("Null", false) => ExprKind::Null,
            ("Bool", true) => ExprKind::Bool(Read::read(r)?),
            ("Number", true) => ExprKind::Number(Read::read(r)?),
            ("String", true) => ExprKind::String(Read::read(r)?),
            ("Temporal", true) => ExprKind::Temporal(Read::read(r)?),
            ("Name", true) => ExprKind::Name(Read::read(r)?),
            ("InputValue", false) => ExprKind::InputValue,
            ("Path", true) => ExprKind::Path(Read::read(r.tuple(2, WHAT)?)?, Read::read(r)?),
            ("Filter", true) => ExprKind::Filter(Read::read(r.tuple(2, WHAT)?)?, Read::read(r)?),
            ("Call", true) => ExprKind::Call(Read::read(r.tuple(2, WHAT)?)?, Read::read(r)?),
            ("Neg", true) => ExprKind::Neg(Read::read(r)?),
            ("Arith", true) => ExprKind::Arith(
                Read::read(r.tuple(3, WHAT)?)?,
                Read::read(r)?,
                Read::read(r)?,
            ),
            ("Compare", true) => ExprKind::Compare(
                Read::read(r.tuple(3, WHAT)?)?,
                Read::read(r)?,
                Read::read(r)?,
            ),
            ("And", true) => ExprKind::And(Read::read(r.tuple(2, WHAT)?)?, Read::read(r)?),
            ("Or", true) => ExprKind::Or(Read::read(r.tuple(2, WHAT)?)?, Read::read(r)?),
            ("Between", true) => ExprKind::Between {
                value: Read::read(r.tuple(3, WHAT)?)?,
                low: Read::read(r)?,
                high: Read::read(r)?,
            },
            ("In", true) => ExprKind::In(Read::read(r.tuple(2, WHAT)?)?, Read::read(r)?),
            ("InstanceOf", true) => {
                ExprKind::InstanceOf(Read::read(r.tuple(2, WHAT)?)?, Read::read(r)?)
            }
            ("If", true) => ExprKind::If {
                cond: Read::read(r.tuple(3, WHAT)?)?,
                then: Read::read(r)?,
                otherwise: Read::read(r)?,
            },
            ("For", true) => ExprKind::For(Read::read(r.tuple(2, WHAT)?)?, Read::read(r)?),
            ("Quantified", true) => ExprKind::Quantified(
                Read::read(r.tuple(3, WHAT)?)?,
                Read::read(r)?,
                Read::read(r)?,
            ),
            ("List", true) => ExprKind::List(Read::read(r)?),
            ("Context", true) => ExprKind::Context(Read::read(r)?),
            ("Range", true) => ExprKind::Range {
                start_closed: Read::read(r.tuple(4, WHAT)?)?,
                start: Read::read(r)?,
                end: Read::read(r)?,
                end_closed: Read::read(r)?,
            },
            ("FunctionDef", true) => ExprKind::FunctionDef {
                params: Read::read(r.tuple(2, WHAT)?)?,
                body: Read::read(r)?,
            },
            _ => return r.fail(at, WHAT),
        })
    }
}

#[cfg(test)]
mod tests {

    use super::*;

    /// A program payload whose processes and templates hold one value of every
    /// MessagePack kind, nested.
    fn payload_with_every_kind() -> Vec<u8> {
        let mut p = Vec::new();
        rmp::encode::write_array_len(&mut p, 3).unwrap();
        rmp::encode::write_array_len(&mut p, 0).unwrap(); // models
        rmp::encode::write_array_len(&mut p, 17).unwrap(); // "processes"
        rmp::encode::write_nil(&mut p).unwrap();
        rmp::encode::write_bool(&mut p, true).unwrap();
        rmp::encode::write_pfix(&mut p, 7).unwrap();
        rmp::encode::write_nfix(&mut p, -3).unwrap();
        rmp::encode::write_u8(&mut p, 200).unwrap();
        rmp::encode::write_u16(&mut p, 60_000).unwrap();
        rmp::encode::write_u32(&mut p, 4_000_000_000).unwrap();
        rmp::encode::write_u64(&mut p, u64::MAX).unwrap();
        rmp::encode::write_i8(&mut p, -100).unwrap();
        rmp::encode::write_i16(&mut p, -30_000).unwrap();
        rmp::encode::write_i32(&mut p, -70_000).unwrap();
        rmp::encode::write_i64(&mut p, i64::MIN).unwrap();
        rmp::encode::write_f32(&mut p, 1.5).unwrap();
        rmp::encode::write_f64(&mut p, 2.5).unwrap();
        rmp::encode::write_str(&mut p, &"x".repeat(300)).unwrap();
        rmp::encode::write_bin(&mut p, &[1, 2, 3]).unwrap();
        rmp::encode::write_map_len(&mut p, 1).unwrap();
        rmp::encode::write_str(&mut p, "key").unwrap();
        rmp::encode::write_array_len(&mut p, 2).unwrap();
        rmp::encode::write_str(&mut p, "a").unwrap();
        rmp::encode::write_map_len(&mut p, 0).unwrap();
        rmp::encode::write_array_len(&mut p, 1).unwrap(); // "templates"
        rmp::encode::write_str(&mut p, "letter").unwrap();
        p
    }

    #[test]
    fn the_decisions_reader_skips_every_kind_of_value_and_nothing_more() {
        let payload = payload_with_every_kind();
        let program = decisions(&payload).unwrap();
        assert!(program.models.is_empty() && program.processes.is_empty());
        for cut in 0..payload.len() {
            assert!(decisions(&payload[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = payload.clone();
        longer.push(0xc0);
        assert!(decisions(&longer).is_err());
        // An extension value is not something a bundle holds.
        let mut ext = payload[..payload.len() - 8].to_vec();
        rmp::encode::write_ext_meta(&mut ext, 1, 1).unwrap();
        ext.push(0);
        assert!(decisions(&ext).is_err());
    }

    #[test]
    fn skipping_stops_at_the_nesting_limit() {
        let mut p = Vec::new();
        rmp::encode::write_array_len(&mut p, 3).unwrap();
        rmp::encode::write_array_len(&mut p, 0).unwrap();
        for _ in 0..=MAX_DEPTH {
            rmp::encode::write_array_len(&mut p, 1).unwrap();
        }
        rmp::encode::write_nil(&mut p).unwrap();
        rmp::encode::write_array_len(&mut p, 0).unwrap();
        let e = decisions(&p).unwrap_err();
        assert!(e.contains("a list of processes"), "{e}");
    }
}
