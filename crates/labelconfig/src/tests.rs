use serde_json::json;

use crate::{validate_result, LabelConfig};

const NER: &str = r#"<View>
  <Labels name="ner" toName="text"><Label value="PER" background="red"/><Label value="ORG"/></Labels>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text"><Choice value="Positive"/><Choice value="Negative" alias="Neg"/></Choices>
</View>"#;

fn err(config: &str) -> String {
    LabelConfig::parse(config).unwrap_err().0
}

#[test]
fn parses_controls_objects_and_data_keys() {
    let config = LabelConfig::parse(NER).unwrap();
    assert_eq!(config.data_keys().collect::<Vec<_>>(), vec!["text"]);
    let parsed = config.parsed_label_config();
    assert_eq!(
        parsed["ner"],
        json!({"type": "Labels", "to_name": ["text"], "inputs": [{"type": "Text", "valueType": null, "value": "text"}],
               "labels": ["PER", "ORG"], "labels_attrs": {"PER": {"value": "PER", "background": "red"}, "ORG": {"value": "ORG"}}})
    );
    assert_eq!(parsed["sentiment"]["labels"], json!(["Positive", "Neg"]));
    assert!(!config.suitable_for_bulk_annotation());
    assert_eq!(
        LabelConfig::parse("<View></View>")
            .unwrap()
            .parsed_label_config(),
        json!({})
    );
}

#[test]
fn reports_label_studio_messages() {
    assert_eq!(err("<View>"), "no element found: line 1, column 6");
    assert_eq!(
        err(r#"<View><Text name="t" value="$a"/><Text name="t" value="$b"/></View>"#),
        "Label config contains non-unique names"
    );
    assert_eq!(
        err(r#"<View><Choices name="c" toName="missing"><Choice value="a"/></Choices></View>"#),
        "toName=\"missing\" not found in names: ['c']"
    );
    assert_eq!(
        err(r#"<View><Text name="t"/></View>"#),
        "Validation failed on : 'value' is a required property"
    );
    assert_eq!(
        err(r#"<View><Text value="$text"/></View>"#),
        "Validation failed on : 'name' is a required property"
    );
    assert_eq!(
        err(r#"<View><Text name="t" value="$t"/><Choices name="c" toName="t"></Choices></View>"#),
        "Validation failed on : 'Choice' is a required property"
    );
    assert_eq!(
        err(r#"<View><TextArea name="ta"/></View>"#),
        "Validation failed on : 'toName' is a required property"
    );
    assert!(LabelConfig::parse(
        r#"<View><Header value="hi"/><Text name="t" value="text"/></View>"#
    )
    .is_ok());
}

#[test]
fn validates_task_data() {
    let config = LabelConfig::parse(NER).unwrap();
    assert!(config.validate_task_data(&json!({"text": "hello"})).is_ok());
    assert_eq!(
        config.validate_task_data(&json!({"foo": "x"})).unwrap_err(),
        "\"text\" key is expected in task data"
    );
    assert_eq!(
        config.validate_task_data(&json!({"text": {"a": 1}})).unwrap_err(),
        "data['text']={'a': 1} is of type 'dict', but the object tag Text expects the following types: ['str', 'int', 'float', 'list']"
    );
    let image = LabelConfig::parse(r#"<View><Image name="i" value="$img"/><Choices name="c" toName="i" value="$opts"/></View>"#).unwrap();
    assert_eq!(image.data_keys().collect::<Vec<_>>(), vec!["img", "opts"]);
    assert!(image.parsed_label_config()["c"]["dynamic_labels"]
        .as_bool()
        .unwrap());
}

#[test]
fn detects_essential_changes_and_weights() {
    let old = LabelConfig::parse(NER).unwrap();
    let same = LabelConfig::parse(&NER.replace(
        "<Label value=\"ORG\"/>",
        "<Label value=\"ORG\"/><Label value=\"LOC\"/>",
    ))
    .unwrap();
    assert!(!same.essential_change_from(&old));
    let fewer = LabelConfig::parse(&NER.replace("<Label value=\"ORG\"/>", "")).unwrap();
    assert!(fewer.essential_change_from(&old));
    let weights = old.control_weights(&json!({"ner": {"overall": 2.0, "labels": {"PER": 0.5}}}));
    assert_eq!(
        weights["ner"],
        json!({"overall": 2.0, "type": "Labels", "labels": {"PER": 0.5, "ORG": 1.0}})
    );
}

#[test]
fn checks_results_against_controls() {
    let config = LabelConfig::parse(NER).unwrap();
    let good = json!([{"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["Positive"]}}]);
    assert!(validate_result(&config, &good).is_ok());
    assert!(validate_result(
        &config,
        &json!([{"from_name": "nope", "to_name": "text", "type": "choices"}])
    )
    .is_err());
    assert!(validate_result(&config, &json!({"a": 1})).is_err());
    assert!(validate_result(&config, &json!([1])).is_err());
}

#[test]
fn schema_paths_follow_label_studio() {
    const T: &str = r#"<Text name="t" value="$t"/>"#;
    let wrap = |inner: &str| format!("<View>{inner}</View>");
    assert_eq!(
        err(&wrap(&format!("{T}<Text name=\"u\"/>"))),
        "Validation failed on 1: 'value' is a required property"
    );
    assert_eq!(
        err(&wrap(&format!(
            "{T}<Choices name=\"c\" toName=\"t\"><Choice/></Choices>"
        ))),
        "Validation failed on Choice/0: 'value' is a required property"
    );
    assert_eq!(
        err(&wrap(&format!(
            "{T}<Choices name=\"c\" toName=\"t\"><Choice value=\"a\"/><Choice/></Choices>"
        ))),
        "Validation failed on Choice/1: 'value' is a required property"
    );
    assert_eq!(
        err(&wrap(&format!(
            "{T}<Labels name=\"l\" toName=\"t\"><Label value=\"a\"/><Label/></Labels>"
        ))),
        "Validation failed on 1: 'value' is a required property"
    );
    assert_eq!(
        err(&wrap(&format!(
            "{T}<Labels name=\"l\" toName=\"t\"><Label/></Labels>"
        ))),
        "Validation failed on : 'value' is a required property"
    );
    assert_eq!(
        err(&wrap(&format!(
            "{T}<Choices toName=\"t\"><Choice value=\"a\"/></Choices>"
        ))),
        "Validation failed on : 'name' is a required property"
    );
    assert_eq!(
        err(&wrap(&format!(
            "<Choices name=\"c\" toName=\"t\"/>{T}<Text name=\"w\"/>"
        ))),
        "Validation failed on 1: 'value' is a required property",
        "a Text error wins over a Choices error"
    );
    assert_eq!(
        err(&wrap(&format!("{T}<Number name=\"n\"/>"))),
        "Validation failed on : 'toName' is a required property"
    );
    for valid in [
        "<Foo/>",
        "<View/>",
        "<View><Header value=\"hi\"/></View>",
        "<View><Image name=\"i\" value=\"$i\"/><RectangleLabels name=\"r\" toName=\"i\"/></View>",
        "<View><Text name=\"t\" value=\"$t\"/><Choices name=\"c\" toName=\"t\" value=\"$opts\"/></View>",
        "<View><Header><Text name=\"x\"/></Header></View>",
        "<View><Text name=\"t\" valueList=\"$t\"/></View>",
    ] {
        assert!(LabelConfig::parse(valid).is_ok(), "{valid}");
    }
}

#[test]
fn the_largest_accepted_configs_validate_in_linear_time() {
    // Worst cases under the bounds: tens of thousands of sibling controls pointing at one object,
    // and tags carrying the most attributes allowed. Quadratic steps took minutes here.
    let controls: String = (0..30_000)
        .map(|i| format!(r#"<Choices name="c{i}" toName="t"><Choice value="a"/></Choices>"#))
        .collect();
    let config = format!(r#"<View><Text name="t" value="$t"/>{controls}</View>"#);
    let started = std::time::Instant::now();
    assert_eq!(LabelConfig::parse(&config).unwrap().controls.len(), 30_000);
    let attributes: String = (0..crate::limits::MAX_ATTRIBUTES - 2)
        .map(|i| format!(r#" a{i}="v""#))
        .collect();
    let tags: String = (0..2_000)
        .map(|i| format!(r#"<Header name="h{i}" value="x"{attributes}/>"#))
        .collect();
    assert!(LabelConfig::parse(&format!("<View>{tags}</View>"))
        .unwrap_err()
        .0
        .starts_with("Label config is too large"));
    let tags: String = (0..200)
        .map(|i| format!(r#"<Header name="h{i}" value="x"{attributes}/>"#))
        .collect();
    assert!(LabelConfig::parse(&format!("<View>{tags}</View>")).is_ok());
    // A generous bound (debug build, shared CI machine): the quadratic version took minutes.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
}
