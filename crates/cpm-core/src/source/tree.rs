//! YAML text → a small tree of spanned nodes, built from `yaml-rust2` parser events.
//!
//! First step of the source stage: [`parse`] checks limits (depth), rejects anchors,
//! aliases, tags, duplicate keys and multi-document streams, and records where every node
//! starts. [`super::read`] turns the tree into the typed model.

use std::collections::BTreeMap;
use std::str::Chars;

use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::err::{Collector, SourceErrorKind};
use super::{MAX_DEPTH, to_u32};

/// A 1-based line and column (in characters) in the file being read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Pos {
    /// Line, from 1.
    pub(crate) line: u32,
    /// Column, from 1.
    pub(crate) column: u32,
}

impl Pos {
    /// The start of the file.
    pub(crate) const START: Pos = Pos { line: 1, column: 1 };

    fn from_marker(m: &Marker) -> Pos {
        Pos {
            line: to_u32(m.line()).max(1),
            // yaml-rust2 columns are 0-based.
            column: to_u32(m.col()).saturating_add(1),
        }
    }
}

/// How a scalar was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Style {
    /// Unquoted: may be a number, boolean or null.
    Plain,
    /// Quoted or a block scalar: always text.
    Quoted,
}

/// A YAML node with where it starts.
#[derive(Clone, Debug)]
pub(crate) struct Node {
    /// What the node is.
    pub(crate) kind: Kind,
    /// Where it starts (for a scalar: its first character or its opening quote).
    pub(crate) pos: Pos,
}

/// The three kinds of YAML node.
#[derive(Clone, Debug)]
pub(crate) enum Kind {
    /// A scalar: its text, how it was written, and where the text's first character is.
    Scalar {
        /// The scalar's value.
        text: String,
        /// Plain or quoted.
        style: Style,
        /// The position of `text`'s first character (see [`super::Feel::loc`]).
        text_pos: Pos,
    },
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping with text keys, in file order, without duplicates.
    Map(Vec<(Key, Node)>),
}

/// A mapping key.
#[derive(Clone, Debug)]
pub(crate) struct Key {
    /// The key text, as written.
    pub(crate) text: String,
    /// Where it is.
    pub(crate) pos: Pos,
}

impl Node {
    /// The scalar text, if this is a scalar.
    pub(crate) fn as_scalar(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// Whether this is the empty plain scalar YAML produces for a missing value (`key:`).
    pub(crate) fn is_empty_plain(&self) -> bool {
        matches!(&self.kind, Kind::Scalar { text, style: Style::Plain, .. } if text.is_empty())
    }

    /// Whether this is a plain null (`~`, `null`, nothing), which an optional list or
    /// mapping takes as empty.
    pub(crate) fn is_null(&self) -> bool {
        matches!(&self.kind, Kind::Scalar { text, style: Style::Plain, .. }
            if super::json::classify_plain(text) == super::json::Plain::Null)
    }

    /// How the node reads in an error message ("a list", "text", …).
    pub(crate) fn describe(&self) -> &'static str {
        match &self.kind {
            Kind::Scalar { .. } if self.is_empty_plain() => "nothing",
            Kind::Scalar { .. } => "text",
            Kind::Seq(_) => "a list",
            Kind::Map(_) => "a mapping",
        }
    }
}

/// Parsing stopped; the reason is already recorded.
struct Stop;

/// Parses YAML `text` into a node tree, recording problems in `cx`. Returns `None` when the
/// text cannot be parsed at all (or is empty); the reason is then recorded.
pub(crate) fn parse(text: &str, cx: &mut Collector) -> Option<Node> {
    let mut b = Builder {
        parser: Parser::new_from_str(text),
        cx,
    };
    b.document().ok().flatten()
}

struct Builder<'a, 'c> {
    parser: Parser<Chars<'a>>,
    cx: &'c mut Collector,
}

impl Builder<'_, '_> {
    fn next(&mut self) -> Result<(Event, Pos), Stop> {
        match self.parser.next_token() {
            Ok((ev, mark)) => Ok((ev, Pos::from_marker(&mark))),
            Err(e) => {
                let pos = Pos::from_marker(e.marker());
                if e.info() == "recursion limit exceeded" {
                    // The scanner's own nesting limit, hit while it looks ahead in flow
                    // collections before our depth check sees the events.
                    self.cx
                        .error(SourceErrorKind::TooDeep, pos, too_deep_message());
                } else {
                    self.cx
                        .error(SourceErrorKind::YamlSyntax, pos, e.info().to_string());
                }
                Err(Stop)
            }
        }
    }

    fn document(&mut self) -> Result<Option<Node>, Stop> {
        let mut root = None;
        loop {
            let (ev, pos) = self.next()?;
            match ev {
                Event::StreamStart | Event::DocumentEnd | Event::Nothing => {}
                Event::StreamEnd => break,
                Event::DocumentStart => {
                    if root.is_some() {
                        self.cx.error_help(
                            SourceErrorKind::YamlSyntax,
                            pos,
                            "the file holds a second YAML document",
                            "put one model per file; remove the `---` separator",
                        );
                        return Ok(root);
                    }
                    let (ev, pos) = self.next()?;
                    root = Some(self.node(ev, pos, 0)?);
                }
                other => {
                    self.cx.error(
                        SourceErrorKind::YamlSyntax,
                        pos,
                        format!("unexpected yaml event `{other:?}`"),
                    );
                    return Err(Stop);
                }
            }
        }
        if root.is_none() {
            self.cx.error(
                SourceErrorKind::MissingKey,
                Pos::START,
                "the file is empty; expected a mapping with `model` or `tests-for`",
            );
        }
        Ok(root)
    }

    fn node(&mut self, ev: Event, pos: Pos, depth: usize) -> Result<Node, Stop> {
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                self.check_extras(anchor, tag.as_ref(), pos);
                Ok(scalar(text, &style, pos))
            }
            Event::Alias(_) => {
                self.cx.error_help(
                    SourceErrorKind::YamlAnchor,
                    pos,
                    "yaml aliases (`*name`) are not supported",
                    "write the value out in full",
                );
                Ok(Node {
                    kind: Kind::Scalar {
                        text: String::new(),
                        style: Style::Plain,
                        text_pos: pos,
                    },
                    pos,
                })
            }
            Event::SequenceStart(anchor, tag) => {
                self.check_extras(anchor, tag.as_ref(), pos);
                self.check_depth(depth, pos)?;
                let mut items = Vec::new();
                loop {
                    let (ev, p) = self.next()?;
                    if ev == Event::SequenceEnd {
                        break;
                    }
                    items.push(self.node(ev, p, depth + 1)?);
                }
                Ok(Node {
                    kind: Kind::Seq(items),
                    pos,
                })
            }
            Event::MappingStart(anchor, tag) => {
                self.check_extras(anchor, tag.as_ref(), pos);
                self.check_depth(depth, pos)?;
                self.mapping(pos, depth)
            }
            other => {
                self.cx.error(
                    SourceErrorKind::YamlSyntax,
                    pos,
                    format!("unexpected yaml event `{other:?}`"),
                );
                Err(Stop)
            }
        }
    }

    fn mapping(&mut self, start: Pos, depth: usize) -> Result<Node, Stop> {
        let mut entries: Vec<(Key, Node)> = Vec::new();
        let mut seen: BTreeMap<String, Pos> = BTreeMap::new();
        // For a block mapping yaml-rust2 marks the start after the first key; the first
        // key's own position is the better "where does this mapping start".
        let mut pos = start;
        let mut first = true;
        loop {
            let (ev, p) = self.next()?;
            if ev == Event::MappingEnd {
                break;
            }
            let key = self.node(ev, p, depth + 1)?;
            let (ev, p) = self.next()?;
            let mut value = self.node(ev, p, depth + 1)?;
            if first {
                pos = pos.min(key.pos);
                first = false;
            }
            let Kind::Scalar { text, .. } = key.kind else {
                self.cx.error(
                    SourceErrorKind::WrongType,
                    key.pos,
                    format!("a mapping key must be text, found {}", key.describe()),
                );
                continue;
            };
            if value.is_empty_plain() {
                // YAML marks a missing value (`key:`) at the next token; the key is a
                // better place to point at.
                value.pos = key.pos;
                if let Kind::Scalar { text_pos, .. } = &mut value.kind {
                    *text_pos = key.pos;
                }
            }
            if let Some(first) = seen.get(&text) {
                self.cx.error(
                    SourceErrorKind::DuplicateKey,
                    key.pos,
                    format!(
                        "duplicate key `{text}`; it is already given at line {}",
                        first.line
                    ),
                );
                continue;
            }
            seen.insert(text.clone(), key.pos);
            entries.push((Key { text, pos: key.pos }, value));
        }
        Ok(Node {
            kind: Kind::Map(entries),
            pos,
        })
    }

    fn check_depth(&mut self, depth: usize, pos: Pos) -> Result<(), Stop> {
        if depth >= MAX_DEPTH {
            self.cx
                .error(SourceErrorKind::TooDeep, pos, too_deep_message());
            return Err(Stop);
        }
        Ok(())
    }

    fn check_extras(&mut self, anchor: usize, tag: Option<&Tag>, pos: Pos) {
        if anchor != 0 {
            self.cx.error_help(
                SourceErrorKind::YamlAnchor,
                pos,
                "yaml anchors (`&name`) are not supported",
                "write the value out in full where it is needed",
            );
        }
        if let Some(tag) = tag {
            let shown = match tag.handle.as_str() {
                "tag:yaml.org,2002:" => format!("!!{}", tag.suffix),
                handle => format!("{handle}{}", tag.suffix),
            };
            self.cx.error_help(
                SourceErrorKind::YamlTag,
                pos,
                format!("yaml tags (`{shown}`) are not supported"),
                "quote the value to make it text",
            );
        }
    }
}

/// The message of a `too-deep` error.
pub(crate) fn too_deep_message() -> String {
    format!("mappings and lists are nested more than {MAX_DEPTH} levels deep")
}

fn scalar(text: String, style: &TScalarStyle, pos: Pos) -> Node {
    let (style, text_pos) = match style {
        TScalarStyle::Plain => (Style::Plain, pos),
        // The marker is on the opening quote.
        TScalarStyle::SingleQuoted | TScalarStyle::DoubleQuoted => (
            Style::Quoted,
            Pos {
                line: pos.line,
                column: pos.column.saturating_add(1),
            },
        ),
        // The marker is on the first content line, at the block's indentation; leading
        // empty lines of the block are `\n`s at the start of the text.
        TScalarStyle::Literal | TScalarStyle::Folded => {
            let leading = text.chars().take_while(|c| *c == '\n').count();
            (
                Style::Quoted,
                Pos {
                    line: pos.line.saturating_sub(to_u32(leading)).max(1),
                    column: pos.column,
                },
            )
        }
    };
    Node {
        kind: Kind::Scalar {
            text,
            style,
            text_pos,
        },
        pos,
    }
}
