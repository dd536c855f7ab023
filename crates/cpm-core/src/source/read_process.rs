//! The node tree → process and template files: known and required keys, step kinds, ids,
//! channels and unique names.
//!
//! Second step of the source stage for `process:` and `template:` files (model files are read
//! by [`super::read`]). Like every reader here, each function records what is wrong and
//! carries on, returning `None` only after recording why. Durations, numbers, FEEL texts and
//! references between steps are checked by the compile stage.

use super::err::{Collector, SourceErrorKind};
use super::json::{Plain, classify_plain};
use super::model::{
    Channel, EndDef, FieldDef, IntakeDef, Located, NameRef, ProcessDef, RecordDef, RouteBranch,
    SendDef, StepBody, StepDef, TaskDef, TemplateDef, WaitDef,
};
use super::read::{Obj, Shape, feel, list_items, name_text, text, unique};
use super::tree::{Kind, Node, Style};

pub(crate) const PROCESS_FILE: Shape = Shape {
    what: "process file",
    schema_def: "processFile",
    keys: &[
        "process",
        "description",
        "intake",
        "data",
        "sla",
        "at-risk",
        "escalate-to",
        "start",
        "steps",
    ],
    required: &["process", "steps"],
};
pub(crate) const INTAKE: Shape = Shape {
    what: "intake",
    schema_def: "intake",
    keys: &["when", "decision", "priority"],
    required: &[],
};
pub(crate) const FIELD: Shape = Shape {
    what: "field",
    schema_def: "field",
    keys: &[
        "name",
        "description",
        "type",
        "required",
        "valid",
        "message",
    ],
    required: &["name"],
};
/// The keys that say what a step does; a step has exactly one.
const STEP_KINDS: [&str; 7] = ["decide", "route", "task", "send", "record", "wait", "end"];
pub(crate) const STEP: Shape = Shape {
    what: "step",
    schema_def: "step",
    keys: &[
        "id",
        "description",
        "next",
        "decide",
        "as",
        "route",
        "task",
        "send",
        "record",
        "wait",
        "end",
    ],
    required: &["id"],
};
pub(crate) const ROUTE_BRANCH: Shape = Shape {
    what: "route branch",
    schema_def: "routeBranch",
    keys: &["when", "to", "default"],
    required: &[],
};
pub(crate) const TASK: Shape = Shape {
    what: "task",
    schema_def: "task",
    keys: &["queue", "title", "form", "sla", "escalate-to"],
    required: &["queue"],
};
pub(crate) const SEND: Shape = Shape {
    what: "send",
    schema_def: "send",
    keys: &["template", "channel", "to"],
    required: &["template", "to"],
};
pub(crate) const RECORD: Shape = Shape {
    what: "record",
    schema_def: "record",
    keys: &["system", "change"],
    required: &["system", "change"],
};
pub(crate) const WAIT: Shape = Shape {
    what: "wait",
    schema_def: "wait",
    keys: &["for", "timeout", "on-timeout"],
    required: &["for"],
};
pub(crate) const END: Shape = Shape {
    what: "end",
    schema_def: "end",
    keys: &["outcome", "root-cause"],
    required: &["outcome"],
};
pub(crate) const TEMPLATE_FILE: Shape = Shape {
    what: "template file",
    schema_def: "templateFile",
    keys: &["template", "description", "subject", "body"],
    required: &["template", "body"],
};

/// Reads a `process:` file.
pub(crate) fn process_file(cx: &mut Collector, node: &Node) -> Option<ProcessDef> {
    let obj = Obj::new(cx, node, &PROCESS_FILE)?;
    let name = obj
        .get("process")
        .and_then(|n| slug(cx, n, "`process`", "process name"));
    let description = obj.opt_text(cx, "description");
    let intake = match obj.get("intake").filter(|n| !n.is_null()) {
        Some(n) => Some(read_intake(cx, n)?),
        None => None,
    };
    let data = obj.list(cx, "data", read_field);
    unique(
        cx,
        data.iter()
            .map(|f| (f.name.as_str(), &f.loc, "a data field")),
    );
    let sla = opt_located(cx, &obj, "sla");
    let at_risk = opt_located(cx, &obj, "at-risk");
    let escalate_to = obj.opt_text(cx, "escalate-to").map(|t| normalise(&t));
    let start = opt_ref(cx, &obj, "start");
    let steps = obj.list(cx, "steps", read_step);
    if let Some(n) = obj.get("steps")
        && matches!(&n.kind, Kind::Seq(items) if items.is_empty())
    {
        cx.error(
            SourceErrorKind::EmptyValue,
            n.pos,
            "a process needs at least one step",
        );
    }
    unique(cx, steps.iter().map(|s| (s.id.as_str(), &s.loc, "a step")));
    Some(ProcessDef {
        name: name?,
        description,
        intake,
        data,
        sla,
        at_risk,
        escalate_to,
        start,
        steps,
        loc: cx.loc(obj.pos),
    })
}

/// Reads a `template:` file.
pub(crate) fn template_file(cx: &mut Collector, node: &Node) -> Option<TemplateDef> {
    let obj = Obj::new(cx, node, &TEMPLATE_FILE)?;
    let name = obj
        .get("template")
        .and_then(|n| slug(cx, n, "`template`", "template name"));
    let description = obj.opt_text(cx, "description");
    let subject = opt_located(cx, &obj, "subject");
    let body = obj.get("body").and_then(|n| located(cx, n, "`body`"));
    Some(TemplateDef {
        name: name?,
        description,
        subject,
        body: body?,
        loc: cx.loc(obj.pos),
    })
}

fn read_intake(cx: &mut Collector, node: &Node) -> Option<IntakeDef> {
    let obj = Obj::new(cx, node, &INTAKE)?;
    let when = obj.opt_feel(cx, "when");
    let decision = opt_ref(cx, &obj, "decision");
    let priority = opt_located(cx, &obj, "priority");
    match (obj.entry("when"), obj.entry("decision")) {
        (Some(_), Some((key, _))) => {
            cx.error_help(
                SourceErrorKind::ConflictingKeys,
                key.pos,
                "an intake has either `when` or `decision`, not both",
                "route several processes with one decision, or give each process its own condition",
            );
            return None;
        }
        (None, None) => {
            cx.error(
                SourceErrorKind::MissingKey,
                obj.pos,
                "missing key `when` or `decision` in intake",
            );
            return None;
        }
        _ => {}
    }
    Some(IntakeDef {
        when,
        decision,
        priority,
        loc: cx.loc(obj.pos),
    })
}

fn read_field(cx: &mut Collector, node: &Node) -> Option<FieldDef> {
    let obj = Obj::new(cx, node, &FIELD)?;
    let name = obj.name(cx);
    let description = obj.opt_text(cx, "description");
    let type_ref = obj.opt_feel(cx, "type");
    let required = match obj.get("required").filter(|n| !n.is_empty_plain()) {
        Some(n) => boolean(cx, n, "`required`"),
        None => Some(true),
    };
    let valid = obj.opt_feel(cx, "valid");
    let message = obj.opt_text(cx, "message");
    Some(FieldDef {
        name: name?,
        description,
        type_ref,
        required: required?,
        valid,
        message,
        loc: cx.loc(obj.pos),
    })
}

fn read_step(cx: &mut Collector, node: &Node) -> Option<StepDef> {
    let obj = Obj::new(cx, node, &STEP)?;
    let id = obj.get("id").and_then(|n| slug(cx, n, "`id`", "step id"));
    let description = obj.opt_text(cx, "description");
    let next = opt_ref(cx, &obj, "next");
    let kinds: Vec<&str> = STEP_KINDS
        .iter()
        .copied()
        .filter(|k| obj.entry(k).is_some())
        .collect();
    if let (Some((key, _)), false) = (obj.entry("as"), kinds.contains(&"decide")) {
        cx.error(
            SourceErrorKind::ConflictingKeys,
            key.pos,
            "`as` is only allowed in a `decide` step",
        );
    }
    let body = match kinds.as_slice() {
        [] => {
            cx.error(
                SourceErrorKind::MissingKey,
                obj.pos,
                "missing step kind in step; expected one of `decide`, `route`, `task`, `send`, `record`, `wait`, `end`",
            );
            None
        }
        [kind] => step_body(cx, &obj, kind),
        [first, rest @ ..] => {
            // Read every body anyway, so its own problems are reported too.
            for kind in &kinds {
                let _ = step_body(cx, &obj, kind);
            }
            for kind in rest {
                if let Some((key, _)) = obj.entry(kind) {
                    cx.error_help(
                        SourceErrorKind::ConflictingKeys,
                        key.pos,
                        format!(
                            "a step does one thing; `{first}` and `{kind}` cannot both be given"
                        ),
                        "split it into two steps joined by `next`",
                    );
                }
            }
            None
        }
    };
    for kind in ["route", "end"] {
        if let (true, Some((key, _))) = (kinds.as_slice() == [kind], obj.entry("next")) {
            cx.error_help(
                SourceErrorKind::ConflictingKeys,
                key.pos,
                format!(
                    "{} `{kind}` step has no `next`",
                    if kind == "end" { "an" } else { "a" }
                ),
                if kind == "route" {
                    "name the following steps in the route's branches"
                } else {
                    "an `end` step closes the case; remove `next`"
                },
            );
        }
    }
    Some(StepDef {
        id: id?,
        description,
        next,
        body: body?,
        loc: cx.loc(obj.pos),
    })
}

fn step_body(cx: &mut Collector, obj: &Obj<'_>, kind: &str) -> Option<StepBody> {
    let node = obj.get(kind)?;
    match kind {
        "decide" => {
            let decision = name_ref(cx, node, "`decide`")?;
            let store_as = obj
                .get("as")
                .filter(|n| !n.is_empty_plain())
                .and_then(|n| name_text(cx, n, "`as`"));
            Some(StepBody::Decide { decision, store_as })
        }
        "route" => {
            let branches = list_items(cx, node, "`route`", read_branch)?;
            Some(StepBody::Route(branches))
        }
        "task" => read_task(cx, node).map(StepBody::Task),
        "send" => read_send(cx, node).map(StepBody::Send),
        "record" => read_record(cx, node).map(StepBody::Record),
        "wait" => read_wait(cx, node).map(StepBody::Wait),
        _ => read_end(cx, node).map(StepBody::End),
    }
}

fn read_branch(cx: &mut Collector, node: &Node) -> Option<RouteBranch> {
    let obj = Obj::new(cx, node, &ROUTE_BRANCH)?;
    match (obj.entry("when"), obj.entry("to"), obj.entry("default")) {
        (Some(_), Some(_), None) => {
            let when = obj.opt_feel(cx, "when");
            let to = opt_ref(cx, &obj, "to");
            Some(RouteBranch {
                when: Some(when?),
                to: to?,
                loc: cx.loc(obj.pos),
            })
        }
        (None, None, Some(_)) => {
            let to = opt_ref(cx, &obj, "default");
            Some(RouteBranch {
                when: None,
                to: to?,
                loc: cx.loc(obj.pos),
            })
        }
        (_, _, Some((key, _))) => {
            cx.error_help(
                SourceErrorKind::ConflictingKeys,
                key.pos,
                "a route branch is either `when` with `to`, or `default`",
                "write the default as its own branch: `{ default: step-id }`",
            );
            None
        }
        (None, _, None) => {
            cx.error(
                SourceErrorKind::MissingKey,
                obj.pos,
                "missing key `when` in route branch",
            );
            None
        }
        (Some(_), None, None) => {
            cx.error(
                SourceErrorKind::MissingKey,
                obj.pos,
                "missing key `to` in route branch",
            );
            None
        }
    }
}

fn read_task(cx: &mut Collector, node: &Node) -> Option<TaskDef> {
    let obj = Obj::new(cx, node, &TASK)?;
    let queue = obj.get("queue").and_then(|n| name_text(cx, n, "`queue`"));
    let title = obj.opt_feel(cx, "title");
    let form = obj.list(cx, "form", read_field);
    unique(
        cx,
        form.iter()
            .map(|f| (f.name.as_str(), &f.loc, "a form field")),
    );
    let sla = opt_located(cx, &obj, "sla");
    let escalate_to = obj.opt_text(cx, "escalate-to").map(|t| normalise(&t));
    Some(TaskDef {
        queue: queue?,
        title,
        form,
        sla,
        escalate_to,
        loc: cx.loc(obj.pos),
    })
}

fn read_send(cx: &mut Collector, node: &Node) -> Option<SendDef> {
    let obj = Obj::new(cx, node, &SEND)?;
    let template = opt_ref(cx, &obj, "template");
    let channel = match obj.get("channel").filter(|n| !n.is_empty_plain()) {
        None => Some(Channel::default()),
        Some(n) => channel(cx, n),
    };
    let to = obj.get("to").and_then(|n| feel(cx, n, "`to`"));
    Some(SendDef {
        template: template?,
        channel: channel?,
        to: to?,
        loc: cx.loc(obj.pos),
    })
}

fn read_record(cx: &mut Collector, node: &Node) -> Option<RecordDef> {
    let obj = Obj::new(cx, node, &RECORD)?;
    let system = obj.get("system").and_then(|n| name_text(cx, n, "`system`"));
    let change = obj.get("change").and_then(|n| feel(cx, n, "`change`"));
    Some(RecordDef {
        system: system?,
        change: change?,
        loc: cx.loc(obj.pos),
    })
}

fn read_wait(cx: &mut Collector, node: &Node) -> Option<WaitDef> {
    let obj = Obj::new(cx, node, &WAIT)?;
    let waits_for = opt_ref(cx, &obj, "for");
    let timeout = opt_located(cx, &obj, "timeout");
    let on_timeout = opt_ref(cx, &obj, "on-timeout");
    if let (Some((key, _)), None) = (obj.entry("on-timeout"), obj.entry("timeout")) {
        cx.error_help(
            SourceErrorKind::MissingKey,
            key.pos,
            "`on-timeout` needs a `timeout`",
            "add `timeout: P7D` (a days and time duration)",
        );
    }
    Some(WaitDef {
        waits_for: waits_for?,
        timeout,
        on_timeout,
        loc: cx.loc(obj.pos),
    })
}

fn read_end(cx: &mut Collector, node: &Node) -> Option<EndDef> {
    let obj = Obj::new(cx, node, &END)?;
    let outcome = obj
        .get("outcome")
        .and_then(|n| name_text(cx, n, "`outcome`"));
    let root_cause = obj.opt_feel(cx, "root-cause");
    Some(EndDef {
        outcome: outcome?,
        root_cause,
        loc: cx.loc(obj.pos),
    })
}

/// An optional reference to a name (a step id, a decision), normalised.
fn opt_ref(cx: &mut Collector, obj: &Obj<'_>, key: &str) -> Option<NameRef> {
    let node = obj.get(key).filter(|n| !n.is_empty_plain())?;
    name_ref(cx, node, &format!("`{key}`"))
}

fn name_ref(cx: &mut Collector, node: &Node, what: &str) -> Option<NameRef> {
    let name = name_text(cx, node, what)?;
    Some(NameRef {
        name,
        loc: cx.loc(text_pos(node)),
    })
}

/// Optional scalar text with the position of its first character; empty counts as absent.
fn opt_located(cx: &mut Collector, obj: &Obj<'_>, key: &str) -> Option<Located> {
    let node = obj.get(key).filter(|n| !n.is_empty_plain())?;
    located(cx, node, &format!("`{key}`"))
}

fn located(cx: &mut Collector, node: &Node, what: &str) -> Option<Located> {
    let text = text(cx, node, what)?;
    Some(Located {
        text,
        loc: cx.loc(text_pos(node)),
    })
}

fn text_pos(node: &Node) -> super::tree::Pos {
    match &node.kind {
        Kind::Scalar { text_pos, .. } => *text_pos,
        _ => node.pos,
    }
}

/// A process, template or step name: `[a-z0-9-]+` (they appear in URLs and ids).
fn slug(cx: &mut Collector, node: &Node, what: &str, kind: &str) -> Option<String> {
    let name = name_text(cx, node, what)?;
    let ok = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !ok {
        cx.error_help(
            SourceErrorKind::BadName,
            node.pos,
            format!("{kind} `{name}` may only use lowercase letters, digits and `-`"),
            "write it like `complaint-acknowledgement`",
        );
        return None;
    }
    Some(name)
}

fn boolean(cx: &mut Collector, node: &Node, what: &str) -> Option<bool> {
    if let Kind::Scalar {
        text,
        style: Style::Plain,
        ..
    } = &node.kind
        && let Plain::Bool(b) = classify_plain(text)
    {
        return Some(b);
    }
    cx.error(
        SourceErrorKind::WrongType,
        node.pos,
        format!(
            "expected `true` or `false` for {what}, found {}",
            node.describe()
        ),
    );
    None
}

fn channel(cx: &mut Collector, node: &Node) -> Option<Channel> {
    let text = text(cx, node, "`channel`")?;
    let wanted = text.trim();
    if let Some(c) = Channel::ALL.into_iter().find(|c| c.name() == wanted) {
        return Some(c);
    }
    cx.error(
        SourceErrorKind::BadValue,
        node.pos,
        format!("unknown channel `{wanted}`; expected one of `email`, `letter`, `sms`"),
    );
    None
}

fn normalise(s: &str) -> String {
    super::read::normalise(s)
}
