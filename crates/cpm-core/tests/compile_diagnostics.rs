//! The compiler's errors and warnings: codes, file positions and message fragments.
//!
//! Each test builds a small rules folder in memory and checks that the diagnostic a rule
//! author would need is there, pointing at the right file, line and column.
#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers: an unexpected build outcome must stop the test loudly"
)]

use std::fmt::Write as _;

use cpm_core::compile::{self, Diagnostic, Severity, SourceText};

/// Compiles `files` (path, text).
fn build(files: &[(&str, &str)]) -> Result<compile::Compiled, compile::CompileErrors> {
    let sources: Vec<SourceText> = files
        .iter()
        .map(|(path, text)| SourceText {
            path: (*path).to_owned(),
            text: (*text).to_owned(),
        })
        .collect();
    compile::compile(&sources)
}

/// The errors of a build that must fail.
fn errors(files: &[(&str, &str)]) -> Vec<Diagnostic> {
    match build(files) {
        Ok(c) => panic!(
            "the build succeeded, expected errors (warnings: {:?})",
            c.warnings
        ),
        Err(e) => {
            assert!(!e.errors.is_empty());
            assert!(e.errors.iter().all(|d| d.severity == Severity::Error));
            e.errors
        }
    }
}

/// The warnings of a build that must succeed.
fn warnings(files: &[(&str, &str)]) -> Vec<Diagnostic> {
    match build(files) {
        Ok(c) => {
            assert!(c.warnings.iter().all(|d| d.severity == Severity::Warning));
            c.warnings
        }
        Err(e) => panic!("the build failed: {:#?}", e.errors),
    }
}

/// The one diagnostic with `code`; fails when there are none or several.
fn only<'a>(diags: &'a [Diagnostic], code: &str) -> &'a Diagnostic {
    let found: Vec<&Diagnostic> = diags.iter().filter(|d| d.code == code).collect();
    assert_eq!(
        found.len(),
        1,
        "expected exactly one `{code}` diagnostic, got {diags:#?}"
    );
    found[0]
}

/// Asserts file, line and column of a diagnostic.
fn at(d: &Diagnostic, file: &str, line: u32, column: u32) {
    let loc = d
        .location
        .as_ref()
        .unwrap_or_else(|| panic!("no location: {d:#?}"));
    assert_eq!(
        (&*loc.file, loc.line, loc.column),
        (file, line, column),
        "wrong position for {d:#?}"
    );
}

fn contains(haystack: &str, needle: &str) {
    assert!(
        haystack.contains(needle),
        "`{haystack}` does not contain `{needle}`"
    );
}

#[test]
fn unknown_name_points_at_the_name_and_suggests_the_closest() {
    let model = "\
model: m
inputs:
  - { name: Amount, type: number }
decisions:
  - name: Big
    expression: 2 * Amont > 100
";
    let errs = errors(&[("m.yaml", model)]);
    let d = only(&errs, "unknown-name");
    // `Amont` is at byte 4 of the expression, which starts at column 17.
    at(d, "m.yaml", 6, 21);
    contains(&d.message, "`Amont`");
    contains(&d.message, "decision `Big`");
    assert_eq!(d.help.as_deref(), Some("did you mean `Amount`?"));
    assert_eq!(d.source.as_deref(), Some("2 * Amont > 100"));
}

#[test]
fn unknown_name_far_from_every_known_name_gets_general_help() {
    let model = "\
model: m
inputs:
  - { name: Amount, type: number }
decisions:
  - { name: Big, expression: Quantity > 100 }
";
    let errs = errors(&[("m.yaml", model)]);
    let d = only(&errs, "unknown-name");
    at(d, "m.yaml", 5, 30);
    contains(&d.message, "`Quantity`");
    let help = d.help.as_deref().unwrap();
    assert!(!help.contains("did you mean"), "{help}");
    contains(help, "inputs:");
}

#[test]
fn knowledge_models_see_only_their_parameters_and_other_knowledge_models() {
    let model = "\
model: m
inputs:
  - { name: Amount, type: number }
knowledge:
  - name: Rounded
    params: [{ name: x, type: number }]
    expression: decimal(x, 2)
  - name: Tax
    params: [{ name: x, type: number }]
    expression: Rounded(x * Rate)
  - name: Surcharge
    params: [{ name: x }]
    expression: x + Amount
decisions:
  - { name: Rate, expression: '0.2' }
  - { name: Total, expression: Tax(Amount) + Surcharge(Amount) }
";
    let errs = errors(&[("m.yaml", model)]);
    let unknown: Vec<&Diagnostic> = errs.iter().filter(|d| d.code == "unknown-name").collect();
    assert_eq!(unknown.len(), 2, "{errs:#?}");
    // A decision is not visible inside a knowledge model…
    let rate = unknown[0];
    at(rate, "m.yaml", 10, 29);
    contains(&rate.message, "`Rate`");
    contains(&rate.message, "knowledge model `Tax`");
    // …and neither is input data.
    let amount = unknown[1];
    at(amount, "m.yaml", 13, 21);
    contains(&amount.message, "`Amount`");
    contains(&amount.message, "knowledge model `Surcharge`");
    // Calling another knowledge model (`Rounded`) and using parameters is fine.
    assert_eq!(errs.len(), 2, "{errs:#?}");
}

#[test]
fn now_and_today_are_unsupported() {
    let model = "\
model: m
decisions:
  - name: Tomorrow
    expression: today() + duration(\"P1D\")
  - name: Stamp
    expression: string(now())
";
    let errs = errors(&[("m.yaml", model)]);
    let unsupported: Vec<&Diagnostic> = errs.iter().filter(|d| d.code == "unsupported").collect();
    assert_eq!(unsupported.len(), 2, "{errs:#?}");
    at(unsupported[0], "m.yaml", 4, 17);
    contains(&unsupported[0].message, "`today` is not supported");
    contains(&unsupported[0].message, "input");
    at(unsupported[1], "m.yaml", 6, 24);
    contains(&unsupported[1].message, "`now` is not supported");
    assert!(
        !errs.iter().any(|d| d.code == "unknown-name"),
        "an unsupported built-in is not also an unknown name: {errs:#?}"
    );
}

#[test]
fn syntax_error_in_a_table_cell_points_into_the_cell() {
    let model = "\
model: m
inputs:
  - { name: Amount, type: number }
decisions:
  - name: Fee
    table:
      inputs: [{ expression: Amount }]
      outputs: [{ name: fee }]
      rules:
        - { when: ['< 10'], then: ['1'] }
        - { when: ['>= 10'], then: ['Amount * * 2'] }
";
    let errs = errors(&[("m.yaml", model)]);
    let d = only(&errs, "feel-syntax");
    // The cell `Amount * * 2` starts at column 38; the stray `*` is at byte 9.
    at(d, "m.yaml", 11, 47);
    assert_eq!(d.source.as_deref(), Some("Amount * * 2"));
    assert_eq!(errs.len(), 1, "{errs:#?}");
}

#[test]
fn syntax_error_in_an_input_cell_points_into_the_cell() {
    let model = "\
model: m
inputs:
  - { name: Amount, type: number }
decisions:
  - name: Fee
    table:
      inputs: [{ expression: Amount }]
      outputs: [{ name: fee }]
      rules:
        - { when: ['[1..5) )'], then: ['1'] }
";
    let errs = errors(&[("m.yaml", model)]);
    let d = only(&errs, "feel-syntax");
    // The cell starts at column 21; the extra `)` is at byte 7.
    at(d, "m.yaml", 10, 28);
    assert_eq!(d.source.as_deref(), Some("[1..5) )"));
}

#[test]
fn syntax_error_in_a_literal_block_points_at_its_line() {
    let model = "\
model: m
inputs:
  - { name: Amount, type: number }
decisions:
  - name: Fee
    expression: |
      if Amount > 10
      then 1 else
";
    let errs = errors(&[("m.yaml", model)]);
    let d = only(&errs, "feel-syntax");
    // Just after `else`, not on the line after the block.
    at(d, "m.yaml", 8, 18);
    contains(&d.message, "end of the text");
    let model = "\
model: m
inputs:
  - { name: Amount, type: number }
decisions:
  - name: Fee
    expression: |
      if Amount > 10
      then 1 els 2
";
    let errs = errors(&[("m.yaml", model)]);
    let d = only(&errs, "feel-syntax");
    at(d, "m.yaml", 8, 14);
    contains(&d.message, "`els`");
}

#[test]
fn a_cycle_is_reported_once() {
    let model = "\
model: m
inputs:
  - { name: Amount, type: number }
decisions:
  - { name: A, expression: B + Amount }
  - { name: B, expression: A - 1 }
  - { name: C, expression: A * 2 }
";
    let errs = errors(&[("m.yaml", model)]);
    let d = only(&errs, "cycle");
    at(d, "m.yaml", 5, 5);
    contains(&d.message, "`A` → `B` → `A`");
    assert_eq!(errs.len(), 1, "{errs:#?}");
}

#[test]
fn a_decision_requiring_itself_is_a_cycle() {
    let model = "\
model: m
decisions:
  - { name: A, expression: A + 1 }
";
    let errs = errors(&[("m.yaml", model)]);
    let d = only(&errs, "cycle");
    contains(&d.message, "`A` → `A`");
    // So is `requires:` naming the decision itself.
    let model = "\
model: m
inputs:
  - { name: Amount, type: number }
decisions:
  - { name: A, requires: [A], expression: Amount }
";
    let errs = errors(&[("m.yaml", model)]);
    only(&errs, "cycle");
}

#[test]
fn a_decision_name_as_a_key_of_filtered_items_is_not_a_requirement() {
    let model = "\
model: m
inputs:
  - { name: Lines, type: Any }
decisions:
  - { name: Price, expression: 'sum(Lines[Price > 0].Price)' }
  - name: Summary
    context:
      - { name: Price, expression: count(Lines) }
      - { name: Total, expression: Price * 2 }
    result: Total
  - { name: Total, expression: Summary + 1 }
";
    assert_eq!(warnings(&[("m.yaml", model)]), []);
}

#[test]
fn duplicate_decision_names_across_files() {
    let a = "\
model: a
decisions:
  - { name: Price, expression: '1' }
";
    let b = "\
model: b
decisions:
  - { name: Other, expression: '2' }
  - { name: Price, expression: '3' }
";
    // Order of the files given does not matter: the later path is the duplicate.
    for files in [
        [("a.yaml", a), ("b.yaml", b)],
        [("b.yaml", b), ("a.yaml", a)],
    ] {
        let errs = errors(&files);
        let d = only(&errs, "duplicate-name");
        at(d, "b.yaml", 4, 5);
        contains(&d.message, "`Price`");
        contains(&d.message, "a.yaml:3:5");
    }
}

#[test]
fn duplicate_model_names_across_files() {
    let a = "model: same\ndecisions: [{ name: X, expression: '1' }]\n";
    let b = "model: same\ndecisions: [{ name: Y, expression: '1' }]\n";
    let errs = errors(&[("a.yaml", a), ("b.yaml", b)]);
    let d = only(&errs, "duplicate-name");
    at(d, "b.yaml", 1, 1);
    contains(&d.message, "model `same`");
}

#[test]
fn tests_for_naming_no_model() {
    let model = "model: pricing\ndecisions: [{ name: X, expression: '1' }]\n";
    let tests = "\
tests-for: pricing2
tests:
  - { name: one, expect: { X: 1 } }
";
    let errs = errors(&[("m.yaml", model), ("m.test.yaml", tests)]);
    let d = only(&errs, "unknown-name");
    assert_eq!(&*d.location.as_ref().unwrap().file, "m.test.yaml");
    assert_eq!(d.location.as_ref().unwrap().line, 1);
    contains(&d.message, "`tests-for: pricing2`");
    contains(d.help.as_deref().unwrap(), "`pricing`");
}

#[test]
fn priority_without_output_values() {
    let model = "\
model: m
inputs:
  - { name: Amount, type: number }
decisions:
  - name: Level
    table:
      hit: PRIORITY
      inputs: [{ expression: Amount }]
      outputs: [{ name: level }]
      rules:
        - { when: ['> 10'], then: ['\"high\"'] }
        - { when: ['-'], then: ['\"low\"'] }
";
    let errs = errors(&[("m.yaml", model)]);
    let d = only(&errs, "bad-hit-policy");
    assert_eq!(&*d.location.as_ref().unwrap().file, "m.yaml");
    assert_eq!(d.location.as_ref().unwrap().line, 7, "{d:#?}");
    contains(&d.message, "PRIORITY");
    contains(&d.message, "values");
    contains(d.help.as_deref().unwrap(), "values:");
}

#[test]
fn priority_with_output_values_builds() {
    let model = "\
model: m
inputs:
  - { name: Amount, type: number }
decisions:
  - name: Level
    table:
      hit: OUTPUT ORDER
      inputs: [{ expression: Amount }]
      outputs: [{ name: level, values: '\"high\", \"low\"' }]
      rules:
        - { when: ['> 10'], then: ['\"high\"'] }
        - { when: ['-'], then: ['\"low\"'] }
";
    assert!(build(&[("m.yaml", model)]).is_ok());
}

#[test]
fn collect_sum_with_two_outputs() {
    let model = "\
model: m
inputs:
  - { name: Amount, type: number }
decisions:
  - name: Points
    table:
      hit: COLLECT SUM
      inputs: [{ expression: Amount }]
      outputs: [{ name: a }, { name: b }]
      rules:
        - { when: ['> 10'], then: ['1', '2'] }
";
    let errs = errors(&[("m.yaml", model)]);
    let d = only(&errs, "bad-hit-policy");
    assert_eq!(d.location.as_ref().unwrap().line, 7, "{d:#?}");
    contains(&d.message, "COLLECT SUM");
    contains(&d.message, "2");
}

#[test]
fn unknown_type_name() {
    let model = "\
model: m
types:
  - { name: Tier, type: string }
inputs:
  - { name: Level, type: Tierr }
  - { name: Items, type: list<Tier> }
  - { name: Other, type: list<Strng> }
";
    let errs = errors(&[("m.yaml", model)]);
    let unknown: Vec<&Diagnostic> = errs.iter().filter(|d| d.code == "unknown-name").collect();
    assert_eq!(unknown.len(), 2, "{errs:#?}");
    at(unknown[0], "m.yaml", 5, 26);
    contains(&unknown[0].message, "unknown type `Tierr`");
    contains(unknown[0].help.as_deref().unwrap(), "`Tier`");
    assert_eq!(unknown[1].location.as_ref().unwrap().line, 7);
    contains(&unknown[1].message, "`Strng`");
}

// ---- analysis warnings ----

/// A one-column table over `Amount: number` with the given hit policy and rule cells.
fn amount_table(hit: &str, cells: &[&str]) -> String {
    let mut s = format!(
        "\
model: m
inputs:
  - {{ name: Amount, type: number }}
decisions:
  - name: Fee
    table:
      hit: {hit}
      inputs: [{{ expression: Amount }}]
      outputs: [{{ name: fee }}]
      rules:
"
    );
    for (i, c) in cells.iter().enumerate() {
        writeln!(s, "        - {{ when: ['{c}'], then: ['{i}'] }}").unwrap();
    }
    s
}

/// Line of rule `i` (0-based) in [`amount_table`].
fn rule_line(i: u32) -> u32 {
    11 + i
}

#[test]
fn overlap_under_unique() {
    let src = amount_table("UNIQUE", &["< 10", "[5..20]", "> 20"]);
    let warns = warnings(&[("m.yaml", &src)]);
    let d = only(&warns, "overlap");
    at(d, "m.yaml", rule_line(1), 11);
    contains(&d.message, "`r1` and `r2`");
    // An example of an input both match.
    contains(&d.message, "both match when Amount = 5");
    assert_eq!(warns.len(), 1, "{warns:#?}");
}

#[test]
fn overlap_is_not_reported_for_first() {
    let src = amount_table("FIRST", &["< 10", "[5..20]", "> 20", "-"]);
    let warns = warnings(&[("m.yaml", &src)]);
    assert!(warns.iter().all(|d| d.code != "overlap"), "{warns:#?}");
}

#[test]
fn gaps_are_merged_into_intervals() {
    let src = amount_table("UNIQUE", &["[0..10)", "[10..100]"]);
    let warns = warnings(&[("m.yaml", &src)]);
    let gaps: Vec<&str> = warns
        .iter()
        .filter(|d| d.code == "gap")
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(
        gaps,
        [
            "no rule matches when Amount < 0",
            "no rule matches when Amount > 100"
        ],
        "{warns:#?}"
    );
    // The gap is about the table, so it points at the table.
    let d = warns.iter().find(|d| d.code == "gap").unwrap();
    assert_eq!(d.location.as_ref().unwrap().line, 7, "{d:#?}");
}

#[test]
fn gaps_in_two_columns_name_both() {
    let model = "\
model: m
inputs:
  - { name: Tier, type: string }
  - { name: Amount, type: number }
decisions:
  - name: Fee
    table:
      inputs:
        - { expression: Tier, values: '\"gold\", \"silver\"' }
        - { expression: Amount }
      outputs: [{ name: fee }]
      rules:
        - { when: ['\"gold\"', '-'], then: ['1'] }
        - { when: ['\"silver\"', '>= 100'], then: ['2'] }
";
    let warns = warnings(&[("m.yaml", model)]);
    let d = only(&warns, "gap");
    assert_eq!(
        d.message,
        "no rule matches when Tier = \"silver\" and Amount < 100"
    );
}

#[test]
fn a_default_output_closes_every_gap() {
    let model = "\
model: m
inputs:
  - { name: Amount, type: number }
decisions:
  - name: Fee
    table:
      inputs: [{ expression: Amount }]
      outputs: [{ name: fee, default: '0' }]
      rules:
        - { when: ['> 10'], then: ['1'] }
";
    assert_eq!(warnings(&[("m.yaml", model)]), []);
}

#[test]
fn never_fires_for_an_empty_range() {
    let src = amount_table("FIRST", &["[10..5]", "-"]);
    let warns = warnings(&[("m.yaml", &src)]);
    let d = only(&warns, "never-fires");
    at(d, "m.yaml", rule_line(0), 11);
    contains(&d.message, "`r1`");
    contains(&d.message, "`Amount`");
}

#[test]
fn never_fires_when_an_earlier_first_rule_covers_it() {
    let src = amount_table("FIRST", &["> 0", "< 0", "[5..10]", "-"]);
    let warns = warnings(&[("m.yaml", &src)]);
    let d = only(&warns, "never-fires");
    at(d, "m.yaml", rule_line(2), 11);
    contains(&d.message, "rule `r3` can never fire under FIRST");
    contains(&d.message, "`r1`");
    // `-` after `> 0` and `< 0` still catches `Amount = 0`.
    assert_eq!(warns.len(), 1, "{warns:#?}");
}

#[test]
fn type_mismatch_string_in_number_column() {
    let src = amount_table("UNIQUE", &["< 10", "\"10\"", "> 10"]);
    let warns = warnings(&[("m.yaml", &src)]);
    let d = only(&warns, "type-mismatch");
    // Points at the cell itself.
    at(d, "m.yaml", rule_line(1), 21);
    contains(&d.message, "`r2`");
    contains(&d.message, "number");
    contains(&d.message, "string");
    assert_eq!(d.source.as_deref(), Some("\"10\""));
    contains(d.help.as_deref().unwrap(), "without quotes");
}

#[test]
fn complete_non_overlapping_table_has_no_warnings() {
    let src = amount_table("UNIQUE", &["< 0", "[0..10)", "[10..100]", "> 100"]);
    assert_eq!(warnings(&[("m.yaml", &src)]), []);
    let model = "\
model: m
inputs:
  - { name: Tier, type: string }
  - { name: Member, type: boolean }
decisions:
  - name: Fee
    table:
      inputs:
        - { expression: Tier, values: '\"gold\", \"silver\"' }
        - { expression: Member }
      outputs: [{ name: fee }]
      rules:
        - { when: ['\"gold\"', '-'], then: ['1'] }
        - { when: ['\"silver\"', 'true'], then: ['2'] }
        - { when: ['\"silver\"', 'false'], then: ['3'] }
";
    assert_eq!(warnings(&[("m.yaml", model)]), []);
}

#[test]
fn huge_tables_skip_pairwise_analysis() {
    let cells: Vec<String> = (0..2001).map(|i| format!("= {i}")).collect();
    let refs: Vec<&str> = cells.iter().map(String::as_str).collect();
    let src = amount_table("UNIQUE", &refs);
    let started = std::time::Instant::now();
    let warns = warnings(&[("m.yaml", &src)]);
    // Both pairwise overlap checks and gap enumeration (combinations × rules) are skipped,
    // each saying so.
    let skipped: Vec<&Diagnostic> = warns
        .iter()
        .filter(|d| d.code == "analysis-skipped")
        .collect();
    assert_eq!(skipped.len(), 2, "{warns:#?}");
    contains(&skipped[0].message, "overlap analysis skipped");
    contains(&skipped[0].message, "2001 rules");
    contains(&skipped[1].message, "gap analysis skipped");
    assert!(skipped.iter().all(|d| d.severity == Severity::Warning));
    // Still bounded: the build takes seconds at most, even unoptimised.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn errors_in_several_files_are_all_reported() {
    let a = "\
model: a
decisions:
  - { name: X, expression: Missing + 1 }
";
    let b = "\
model: b
decisions:
  - { name: Y, expression: '1 +' }
";
    let c = "\
model: c
decisions:
  - { name: Z, expresion: '1' }
";
    let d = "\
model: d
decisions:
  - { name: W, expression: '2' }
";
    let errs = errors(&[("c.yaml", c), ("a.yaml", a), ("d.yaml", d), ("b.yaml", b)]);
    let summary: Vec<(String, &str)> = errs
        .iter()
        .map(|d| {
            (
                d.location.as_ref().unwrap().file.to_string(),
                d.code.as_str(),
            )
        })
        .collect();
    for (file, code) in [
        ("a.yaml", "unknown-name"),
        ("b.yaml", "feel-syntax"),
        ("c.yaml", "unknown-key"),
    ] {
        assert!(
            summary.iter().any(|(f, c)| f == file && *c == code),
            "missing {code} in {file}: {summary:?}"
        );
    }
    assert!(summary.iter().all(|(f, _)| f != "d.yaml"), "{summary:?}");
}

#[test]
fn a_decision_named_like_a_builtin_may_call_it() {
    let model = r#"
model: builtin-named
decisions:
  - name: before
    expression: before(1, 10)
"#;
    let files = [cpm_core::compile::SourceText {
        path: "m.yaml".to_owned(),
        text: model.to_owned(),
    }];
    let compiled = cpm_core::compile::compile(&files).expect("builds: not a cycle");
    let bundle = cpm_core::bundle::Bundle::new(compiled.program).expect("bundle");
    let engine = cpm_core::decide::Engine::new(bundle);
    let decided = engine
        .decide("before", &serde_json::Value::Null, &Default::default())
        .expect("decides");
    assert_eq!(
        cpm_core::value::json::to_canonical_json(&decided.output),
        "true"
    );
}
