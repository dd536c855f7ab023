use super::*;
use crate::bundle::Bundle;
use crate::compile::{SourceText, compile};
use crate::decide::{Engine, Options};
use crate::source::{DecisionBody, HitPolicy, TypeBody};
use crate::value::format_value;

const NS15: &str = "https://www.omg.org/spec/DMN/20230324/MODEL/";

fn dmn(ns: &str, body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="{ns}" xmlns:feel="http://www.omg.org/spec/FEEL/20140401" namespace="http://example.com/m" name="Loan Model" id="defs">
{body}
</definitions>"#
    )
}

const FULL: &str = r##"
  <itemDefinition name="tLoan">
    <itemComponent name="amount"><typeRef>number</typeRef></itemComponent>
    <itemComponent name="term"><typeRef>number</typeRef></itemComponent>
  </itemDefinition>
  <itemDefinition name="tTiers" isCollection="true">
    <typeRef>string</typeRef>
    <allowedValues><text>"low", "high"</text></allowedValues>
  </itemDefinition>
  <inputData name="Loan" id="i_loan"><variable name="Loan" typeRef="tLoan"/></inputData>
  <inputData name="Applicant  Age" id="i_age"><variable name="Applicant Age" typeRef="feel:number"/></inputData>
  <businessKnowledgeModel name="Risk Table" id="b_risk">
    <encapsulatedLogic>
      <formalParameter name="age" typeRef="number"/>
      <decisionTable hitPolicy="COLLECT" aggregation="SUM">
        <input id="in1"><inputExpression typeRef="number"><text>age</text></inputExpression></input>
        <output id="out1" typeRef="number"/>
        <annotation name="why"/>
        <rule id="young"><inputEntry><text>&lt; 25</text></inputEntry><outputEntry><text>10</text></outputEntry>
          <annotationEntry><text>young drivers</text></annotationEntry></rule>
        <rule id="any"><inputEntry><text></text></inputEntry><outputEntry><text>1</text></outputEntry></rule>
      </decisionTable>
    </encapsulatedLogic>
  </businessKnowledgeModel>
  <decision name="Risk" id="d_risk">
    <variable name="Risk" typeRef="number"/>
    <informationRequirement><requiredInput href="#i_age"/></informationRequirement>
    <knowledgeRequirement><requiredKnowledge href="#b_risk"/></knowledgeRequirement>
    <invocation>
      <literalExpression><text>Risk Table</text></literalExpression>
      <binding><parameter name="age"/><literalExpression><text>Applicant Age</text></literalExpression></binding>
    </invocation>
  </decision>
  <decision name="Summary" id="d_summary">
    <informationRequirement><requiredDecision href="#d_risk"/></informationRequirement>
    <informationRequirement><requiredInput href="#i_loan"/></informationRequirement>
    <context>
      <contextEntry><variable name="double"/>
        <functionDefinition><formalParameter name="x" typeRef="number"/>
          <literalExpression><text>x * 2</text></literalExpression></functionDefinition>
      </contextEntry>
      <contextEntry><variable name="rates"/>
        <relation>
          <column name="term"/><column name="rate value"/>
          <row><literalExpression><text>12</text></literalExpression><literalExpression><text>0.05</text></literalExpression></row>
          <row><literalExpression><text>24</text></literalExpression><literalExpression><text>0.04</text></literalExpression></row>
        </relation>
      </contextEntry>
      <contextEntry><variable name="tiers"/>
        <list><literalExpression><text>"low"</text></literalExpression><literalExpression><text>"high"</text></literalExpression></list>
      </contextEntry>
      <contextEntry><variable name="level"/>
        <conditional>
          <if><literalExpression><text>Risk &gt; 5</text></literalExpression></if>
          <then><literalExpression><text>tiers[2]</text></literalExpression></then>
          <else><literalExpression><text>tiers[1]</text></literalExpression></else>
        </conditional>
      </contextEntry>
      <contextEntry>
        <literalExpression><text>{level: level, doubled: double(Loan.amount), rate: get value(rates[term = Loan.term][1], &quot;rate value&quot;)}</text></literalExpression>
      </contextEntry>
    </context>
  </decision>
  <decision name="Label" id="d_label">
    <variable name="Label" typeRef="string"/>
    <decisionTable hitPolicy="FIRST">
      <input label="Age"><inputExpression><text>Applicant Age</text></inputExpression>
        <inputValues><text>[0..150]</text></inputValues></input>
      <output name="label"><outputValues><text>"minor", "adult"</text></outputValues>
        <defaultOutputEntry><text>"unknown"</text></defaultOutputEntry></output>
      <rule id="r-minor"><description>under age</description>
        <inputEntry><text>&lt; 18</text></inputEntry><outputEntry><text>"minor"</text></outputEntry></rule>
      <rule><inputEntry><text>&gt;= 18</text></inputEntry><outputEntry><text>"adult"</text></outputEntry></rule>
    </decisionTable>
  </decision>
  <textAnnotation id="note"><text>ignored</text></textAnnotation>
"##;

fn engine(path: &str, text: &str) -> Engine {
    let compiled = compile(&[SourceText {
        path: path.to_owned(),
        text: text.to_owned(),
    }])
    .unwrap_or_else(|e| panic!("{:?}", e.errors));
    Engine::new(Bundle::new(compiled.program).unwrap_or_else(|e| panic!("{e}")))
}

fn decide(engine: &Engine, name: &str, input: &str) -> String {
    let input: serde_json::Value = serde_json::from_str(input).unwrap_or_default();
    match engine.decide(name, &input, &Options::default()) {
        Ok(d) => format_value(&d.output),
        Err(e) => format!("error: {e}"),
    }
}

#[test]
fn reads_the_dmn_elements_into_the_source_model() {
    let m = load("m.dmn", &dmn(NS15, FULL)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(m.name, "Loan-Model");
    assert_eq!(
        m.types.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        ["tLoan", "tTiers", "tTiers item"]
    );
    assert!(matches!(&m.types[1].body, TypeBody::Ref(r) if r.text == "list<tTiers item>"));
    assert_eq!(
        m.types[2].allowed.as_ref().map(|a| a.text.as_str()),
        Some(r#""low", "high""#)
    );
    assert_eq!(m.inputs[1].name, "Applicant Age");
    assert_eq!(
        m.inputs[1].type_ref.as_ref().map(|t| t.text.as_str()),
        Some("number")
    );
    let DecisionBody::Table(t) = &m.knowledge[0].body else {
        panic!("expected a table")
    };
    assert_eq!(
        t.hit,
        HitPolicy::Collect(Some(crate::source::Aggregation::Sum))
    );
    assert_eq!(t.outputs[0].name, "Risk Table");
    assert_eq!(t.rules[0].id, "young");
    assert_eq!(t.rules[0].note.as_deref(), Some("young drivers"));
    assert_eq!(t.rules[1].when[0].text, "-");
    let DecisionBody::Expression(e) = &m.decisions[0].body else {
        panic!("expected an expression")
    };
    assert_eq!(e.text, "Risk Table(age: (Applicant Age))");
    assert_eq!(
        m.decisions[1]
            .requires
            .iter()
            .map(|r| r.name.as_str())
            .collect::<Vec<_>>(),
        ["Risk", "Loan"]
    );
    let DecisionBody::Table(label) = &m.decisions[2].body else {
        panic!("expected a table")
    };
    assert_eq!(label.rules[0].note.as_deref(), Some("under age"));
    assert_eq!(label.rules[1].id, "r2");
    assert_eq!(
        label.outputs[0].default.as_ref().map(|d| d.text.as_str()),
        Some("\"unknown\"")
    );
    // Positions: the rule's start tag, the cell's first character.
    assert_eq!(label.rules[0].loc.line, 73);
    assert_eq!(label.rules[0].when[0].loc.line, 74);
}

#[test]
fn dmn_models_evaluate() {
    let e = engine("m.dmn", &dmn(NS15, FULL));
    assert_eq!(decide(&e, "Risk", r#"{"Applicant Age": 20}"#), "11");
    assert_eq!(decide(&e, "Risk", r#"{"Applicant Age": 40}"#), "1");
    assert_eq!(
        decide(
            &e,
            "Summary",
            r#"{"Applicant Age": 20, "Loan": {"amount": 100, "term": 24}}"#
        ),
        r#"{level: "high", doubled: 200, rate: 0.04}"#
    );
    assert_eq!(decide(&e, "Label", r#"{"Applicant Age": 12}"#), "minor");
    assert_eq!(decide(&e, "Label", r#"{"Applicant Age": null}"#), "unknown");
}

#[test]
fn yaml_round_trip_gives_the_same_program() {
    let text = dmn(NS15, FULL);
    let converted = convert("m.dmn", &text).unwrap_or_else(|e| panic!("{e}"));
    let dmn_file = SourceText {
        path: "m.dmn".to_owned(),
        text,
    };
    let yaml_file = SourceText {
        path: "Loan-Model.yaml".to_owned(),
        text: converted.yaml.clone(),
    };
    let rt = check_round_trip(&dmn_file, &yaml_file)
        .unwrap_or_else(|e| panic!("{e}\n{}", converted.yaml));
    assert!(rt.hash.is_some());
    assert!(
        converted.yaml.contains("when: ['< 18']"),
        "{}",
        converted.yaml
    );
    // A changed YAML file is caught.
    let changed = SourceText {
        path: "Loan-Model.yaml".to_owned(),
        text: converted.yaml.replace("\"minor\"", "\"child\""),
    };
    assert!(check_round_trip(&dmn_file, &changed).is_err());
}

#[test]
fn older_namespaces_and_prefixed_types() {
    let body = r#"<inputData name="When" id="i"><variable name="When" typeRef="feel:dateTime"/></inputData>
  <decision name="Later" id="d"><variable name="Later" typeRef="feel:dateTime"/>
    <literalExpression><text>When + duration("P1D")</text></literalExpression></decision>"#;
    for ns in NAMESPACES {
        let m = load("old.dmn", &dmn(ns, body)).unwrap_or_else(|e| panic!("{ns}: {e}"));
        assert_eq!(
            m.inputs[0].type_ref.as_ref().map(|t| t.text.as_str()),
            Some("date and time")
        );
    }
    let e = engine("old.dmn", &dmn(NAMESPACES[4], body));
    assert_eq!(
        decide(&e, "Later", r#"{"When": "2024-01-31T10:00:00"}"#),
        "2024-02-01T10:00:00"
    );
}

fn errors(text: &str) -> Vec<(String, u32, String)> {
    match load("bad.dmn", text) {
        Ok(_) => Vec::new(),
        Err(e) => e
            .iter()
            .map(|e| (e.code().to_owned(), e.loc().line, e.message().to_owned()))
            .collect(),
    }
}

#[test]
fn unsupported_elements_are_errors_with_id_and_line() {
    let body = r#"<decisionService name="Svc" id="ds1"/>
  <import namespace="http://other" name="other" importType="https://www.omg.org/spec/DMN/20230324/MODEL/"/>
  <decision name="J" id="d_j"><literalExpression expressionLanguage="http://www.w3.org/1999/XSL/Transform"><text>x</text></literalExpression></decision>
  <decision name="Empty" id="d_empty"/>
  <businessKnowledgeModel name="Java" id="b_java"><encapsulatedLogic kind="Java"><literalExpression><text>1</text></literalExpression></encapsulatedLogic></businessKnowledgeModel>
  <inputData name="Other" id="i_o" xmlns:o="http://other"><variable name="Other" typeRef="o:tThing"/></inputData>"#;
    let mut errs = errors(&dmn(NS15, body));
    errs.sort_by_key(|e| e.1);
    assert!(errs.iter().all(|e| e.0 == "unsupported"), "{errs:?}");
    let expected: [(u32, &str); 6] = [
        (
            3,
            "`decisionService` `Svc` (id `ds1`) is not supported: a decision service without output decisions",
        ),
        (4, "`import` `other` is not supported"),
        (
            5,
            "expression language `http://www.w3.org/1999/XSL/Transform`",
        ),
        (6, "`decision` `Empty` (id `d_empty`) is not supported"),
        (7, "functions of kind `Java`"),
        (8, "namespace `http://other`"),
    ];
    assert_eq!(errs.len(), expected.len(), "{errs:?}");
    for ((_, line, message), (want_line, want)) in errs.iter().zip(expected) {
        assert_eq!(*line, want_line, "{message}");
        assert!(message.contains(want), "{message}");
    }
}

#[test]
fn decision_services_become_knowledge_models() {
    let body = r##"<inputData name="Rate" id="i_rate"><variable name="Rate" typeRef="number"/></inputData>
  <decision name="Base" id="d_base"><variable name="Base" typeRef="number"/>
    <literalExpression><text>100</text></literalExpression></decision>
  <decision name="Fee" id="d_fee"><variable name="Fee" typeRef="number"/>
    <informationRequirement><requiredDecision href="#d_base"/></informationRequirement>
    <informationRequirement><requiredInput href="#i_rate"/></informationRequirement>
    <literalExpression><text>Base * Rate</text></literalExpression></decision>
  <decision name="Total" id="d_total">
    <informationRequirement><requiredDecision href="#d_fee"/></informationRequirement>
    <literalExpression><text>Fee + 1</text></literalExpression></decision>
  <decisionService name="Pricing" id="ds_pricing">
    <outputDecision href="#d_total"/><outputDecision href="#d_fee"/>
    <encapsulatedDecision href="#d_total"/>
    <inputDecision href="#d_base"/>
    <inputData href="#i_rate"/>
  </decisionService>
  <decision name="Quote" id="d_quote">
    <literalExpression><text>Pricing(0.5, 10).Total</text></literalExpression></decision>"##;
    let text = dmn(NS15, body);
    let m = load("ds.dmn", &text).unwrap_or_else(|e| panic!("{e}"));
    let k = m.knowledge.iter().find(|k| k.name == "Pricing");
    let k = k.unwrap_or_else(|| panic!("no knowledge model"));
    assert_eq!(
        k.params.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        ["Rate", "Base"]
    );
    let DecisionBody::Context(c) = &k.body else {
        panic!("expected a context")
    };
    assert_eq!(
        c.entries
            .iter()
            .map(|e| e.name.as_str())
            .collect::<Vec<_>>(),
        ["Fee", "Total"]
    );
    assert_eq!(
        c.result.as_ref().map(|r| r.text.as_str()),
        Some("{Total: Total, Fee: Fee}")
    );
    let e = engine("ds.dmn", &text);
    assert_eq!(decide(&e, "Quote", "{}"), "6");
    let mut args = crate::value::Context::default();
    args.insert("Rate".into(), crate::value::Value::Number(2.into()));
    args.insert("Base".into(), crate::value::Value::Number(3.into()));
    let out = e
        .invoke("Pricing", &args, &Options::default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(format_value(&out), "{Total: 7, Fee: 6}");
}

#[test]
fn structural_errors() {
    assert_eq!(errors("<definitions")[0].0, "xml-syntax");
    assert_eq!(
        errors(r#"<definitions xmlns="http://example.com/not-dmn"/>"#)[0].0,
        "unsupported-file"
    );
    let body = r##"<decision name="T" id="t"><decisionTable>
      <input><inputExpression><text>a</text></inputExpression></input>
      <output name="x"/><output name="y"/>
      <rule id="r"><inputEntry><text>1</text></inputEntry><outputEntry><text>1</text></outputEntry></rule>
      <rule id="r"><inputEntry><text>1</text></inputEntry><outputEntry><text>1</text></outputEntry><outputEntry><text>2</text></outputEntry></rule>
      <rule id="r"><inputEntry><text>1</text></inputEntry><outputEntry><text>1</text></outputEntry><outputEntry><text>2</text></outputEntry></rule>
    </decisionTable></decision>
  <inputData name="T" id="t2"/>
  <decision name="U" id="u"><informationRequirement><requiredInput href="#nowhere"/></informationRequirement>
    <literalExpression><text>1</text></literalExpression></decision>
  <decision name="V" id="v"><decisionTable hitPolicy="COLLECT" aggregation="AVERAGE">
      <output/><rule/></decisionTable></decision>"##;
    let codes: Vec<String> = errors(&dmn(NS15, body)).into_iter().map(|e| e.0).collect();
    assert_eq!(
        codes,
        [
            "cell-count",
            "duplicate-rule-id",
            "missing-key",
            "bad-hit-policy",
            "cell-count",
            "duplicate-name"
        ]
    );
}
